using System.Text;

namespace Mtls.Extensions.Testing;

/// <summary>
/// Overwrites files the careless way: truncate the existing file and write the new bytes into the same
/// file (the same inode on Unix), as <c>os.WriteFile</c>, <c>echo &gt; file</c>, <c>cp</c> and most editors'
/// "save in place" do. A reader can see the file empty or half written. Use it to check that a consumer
/// retries such reads instead of serving them; <see cref="FileWriter.WriteAtomically(string, byte[])"/> is
/// the careful counterpart.
/// </summary>
/// <example>
/// <code>
/// // Leave tls.crt half written, check that the old certificate is still served, then finish the write.
/// using (var write = InPlaceFileWriter.BeginWrite(certPath, next.ExportCertificatePem()))
/// {
///     time.Advance(reload.PollInterval);   // the source polls on its FakeTimeProvider and reads the half-written file
///     Assert.Equal(old.ThumbprintSha256, source.Current.ThumbprintSha256);
///     write.Complete();
/// }
/// </code>
/// </example>
public static class InPlaceFileWriter
{
    /// <summary>Truncates the file (creating it when missing) and writes <paramref name="content"/> into it.</summary>
    /// <param name="path">The file.</param>
    /// <param name="content">The new content, written as ASCII.</param>
    /// <param name="createMode">The Unix permissions when the file is created (ignored on Windows and for an existing file); defaults to <c>0644</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is <see langword="null"/> or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is <see langword="null"/>.</exception>
    public static void Write(string path, string content, UnixFileMode? createMode = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        Write(path, Encoding.ASCII.GetBytes(content), createMode);
    }

    /// <summary>Truncates the file (creating it when missing) and writes <paramref name="content"/> into it.</summary>
    /// <param name="path">The file.</param>
    /// <param name="content">The new content.</param>
    /// <param name="createMode">The Unix permissions when the file is created (ignored on Windows and for an existing file); defaults to <c>0644</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is <see langword="null"/> or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is <see langword="null"/>.</exception>
    public static void Write(string path, byte[] content, UnixFileMode? createMode = null)
    {
        using var write = BeginWrite(path, content, content?.Length ?? 0, createMode);
        write.Complete();
    }

    /// <summary>
    /// Truncates the file and writes <paramref name="content"/> in two halves, calling
    /// <paramref name="betweenHalves"/> while the file holds only the first half.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="content">The new content.</param>
    /// <param name="betweenHalves">Called while the file is half written (for example to trigger a reload and assert).</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is <see langword="null"/> or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> or <paramref name="betweenHalves"/> is <see langword="null"/>.</exception>
    public static void WriteInTwoHalves(string path, byte[] content, Action betweenHalves)
    {
        ArgumentNullException.ThrowIfNull(betweenHalves);
        using var write = BeginWrite(path, content);
        betweenHalves();
        write.Complete();
    }

    /// <summary>
    /// Truncates the file and writes <paramref name="content"/> in two halves, awaiting
    /// <paramref name="betweenHalves"/> while the file holds only the first half.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="content">The new content.</param>
    /// <param name="betweenHalves">Awaited while the file is half written.</param>
    /// <returns>A task that completes when the whole content is written.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is <see langword="null"/> or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> or <paramref name="betweenHalves"/> is <see langword="null"/>.</exception>
    public static async Task WriteInTwoHalvesAsync(string path, byte[] content, Func<Task> betweenHalves)
    {
        ArgumentNullException.ThrowIfNull(betweenHalves);
        using var write = BeginWrite(path, content);
        await betweenHalves().ConfigureAwait(false);
        write.Complete();
    }

    /// <summary>
    /// Truncates the file and writes the first half of <paramref name="content"/>, leaving the file torn until
    /// <see cref="PartialFileWrite.Complete"/> writes the rest into the same open file.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="content">The new content, written as ASCII.</param>
    /// <returns>The write in progress; dispose it (after <see cref="PartialFileWrite.Complete"/>, or without, to simulate a writer that died).</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is <see langword="null"/> or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is <see langword="null"/>.</exception>
    public static PartialFileWrite BeginWrite(string path, string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        return BeginWrite(path, Encoding.ASCII.GetBytes(content));
    }

    /// <summary>
    /// Truncates the file and writes the first half of <paramref name="content"/>, leaving the file torn until
    /// <see cref="PartialFileWrite.Complete"/> writes the rest into the same open file.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="content">The new content.</param>
    /// <returns>The write in progress.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is <see langword="null"/> or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is <see langword="null"/>.</exception>
    public static PartialFileWrite BeginWrite(string path, byte[] content) => BeginWrite(path, content, (content?.Length ?? 0) / 2);

    /// <summary>
    /// Truncates the file and writes the first <paramref name="firstPartLength"/> bytes of
    /// <paramref name="content"/>, leaving the file torn until <see cref="PartialFileWrite.Complete"/>.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="content">The new content.</param>
    /// <param name="firstPartLength">How many bytes to write now (zero leaves the file empty).</param>
    /// <param name="createMode">The Unix permissions when the file is created (ignored on Windows and for an existing file); defaults to <c>0644</c>.</param>
    /// <returns>The write in progress.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is <see langword="null"/> or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="firstPartLength"/> is negative or longer than the content.</exception>
    public static PartialFileWrite BeginWrite(string path, byte[] content, int firstPartLength, UnixFileMode? createMode = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(firstPartLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstPartLength, content.Length);
        var options = new FileStreamOptions
        {
            // FileMode.Create truncates an existing file in place (O_TRUNC; CREATE_ALWAYS on Windows): same inode.
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = createMode ?? (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        var stream = new FileStream(path, options);
        try
        {
            stream.Write(content, 0, firstPartLength);
            stream.Flush();
            return new PartialFileWrite(path, stream, content, firstPartLength);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
