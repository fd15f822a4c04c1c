using System.Text;

namespace Mtls.Extensions.Testing.Tests;

public sealed class InPlaceFileWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-in-place-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string NewPath() => Path.Combine(_dir, Guid.NewGuid().ToString("N"));

    [Fact]
    public void Write_ShorterContent_TruncatesTheSameFile()
    {
        var path = NewPath();
        File.WriteAllText(path, "a much longer original content");
        using var before = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        InPlaceFileWriter.Write(path, "new");

        Assert.Equal("new", File.ReadAllText(path));
        using var reader = new StreamReader(before);
        Assert.Equal("new", reader.ReadToEnd()); // same file, not a replacement
    }

    [Fact]
    public void BeginWrite_BeforeComplete_FileHoldsFirstHalf()
    {
        var path = NewPath();
        File.WriteAllText(path, "old content");
        var content = Encoding.ASCII.GetBytes("0123456789");

        using (var write = InPlaceFileWriter.BeginWrite(path, content))
        {
            Assert.Equal("01234", File.ReadAllText(path));
            Assert.Equal(5, write.BytesWritten);
            Assert.False(write.IsCompleted);
            write.Complete();
            Assert.True(write.IsCompleted);
        }

        Assert.Equal("0123456789", File.ReadAllText(path));
    }

    [Fact]
    public void BeginWrite_DisposedWithoutComplete_FileStaysTorn()
    {
        var path = NewPath();
        using (InPlaceFileWriter.BeginWrite(path, Encoding.ASCII.GetBytes("0123456789"), 3))
        {
        }

        Assert.Equal("012", File.ReadAllText(path));
    }

    [Fact]
    public void BeginWrite_ZeroLength_FileEmptyMeanwhile()
    {
        var path = NewPath();
        File.WriteAllText(path, "old");
        using var write = InPlaceFileWriter.BeginWrite(path, Encoding.ASCII.GetBytes("new"), 0);
        Assert.Equal(0, new FileInfo(path).Length);
        write.Complete();
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Throws<ObjectDisposedException>(write.Complete);
    }

    [Fact]
    public void WriteInTwoHalves_Callback_SeesHalf()
    {
        var path = NewPath();
        string? seen = null;
        InPlaceFileWriter.WriteInTwoHalves(path, Encoding.ASCII.GetBytes("abcdef"), () => seen = File.ReadAllText(path));
        Assert.Equal("abc", seen);
        Assert.Equal("abcdef", File.ReadAllText(path));
    }

    [Fact]
    public async Task WriteInTwoHalvesAsync_Callback_SeesHalf()
    {
        var path = NewPath();
        string? seen = null;
        await InPlaceFileWriter.WriteInTwoHalvesAsync(path, Encoding.ASCII.GetBytes("abcdef"), async () =>
        {
            await Task.Yield();
            seen = await File.ReadAllTextAsync(path);
        });
        Assert.Equal("abc", seen);
        Assert.Equal("abcdef", File.ReadAllText(path));
    }

    [Fact]
    public void Write_NewFile_CreateModeApplied()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = NewPath();
        InPlaceFileWriter.Write(path, "secret", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void InPlaceFileWriter_InvalidArguments_Throw()
    {
        Assert.ThrowsAny<ArgumentException>(() => InPlaceFileWriter.Write(null!, "x"));
        Assert.Throws<ArgumentNullException>(() => InPlaceFileWriter.Write(NewPath(), (string)null!));
        Assert.Throws<ArgumentNullException>(() => InPlaceFileWriter.Write(NewPath(), (byte[])null!));
        Assert.Throws<ArgumentNullException>(() => InPlaceFileWriter.WriteInTwoHalves(NewPath(), [1], null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => InPlaceFileWriter.BeginWrite(NewPath(), [1, 2], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => InPlaceFileWriter.BeginWrite(NewPath(), [1, 2], -1));
    }
}
