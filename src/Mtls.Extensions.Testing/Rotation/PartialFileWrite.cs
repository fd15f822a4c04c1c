namespace Mtls.Extensions.Testing;

/// <summary>
/// An in-place write that has written only part of the new content: the file is torn (truncated, then
/// partly rewritten) until <see cref="Complete"/> writes the rest into the same open file. Created by
/// <see cref="InPlaceFileWriter.BeginWrite(string, byte[], int, UnixFileMode?)"/>.
/// </summary>
public sealed class PartialFileWrite : IDisposable
{
    private readonly FileStream _stream;
    private readonly byte[] _content;
    private int _written;
    private bool _disposed;

    internal PartialFileWrite(string path, FileStream stream, byte[] content, int written)
    {
        Path = path;
        _stream = stream;
        _content = content;
        _written = written;
    }

    /// <summary>Gets the file being written.</summary>
    /// <value>The path given to the writer.</value>
    public string Path { get; }

    /// <summary>Gets how many bytes of the new content the file holds so far.</summary>
    /// <value>Between zero and the content's length.</value>
    public int BytesWritten => _written;

    /// <summary>Gets a value indicating whether the whole content has been written.</summary>
    /// <value><see langword="true"/> after <see cref="Complete"/>.</value>
    public bool IsCompleted => _written == _content.Length;

    /// <summary>Writes the rest of the content into the same open file and closes it.</summary>
    /// <exception cref="ObjectDisposedException">The write was disposed before it completed.</exception>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _stream.Write(_content, _written, _content.Length - _written);
        _stream.Flush();
        _written = _content.Length;
        Dispose();
    }

    /// <summary>Closes the file. Without <see cref="Complete"/> the file stays torn, as if the writer died.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _stream.Dispose();
        }
    }
}
