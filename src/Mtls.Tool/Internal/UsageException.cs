namespace Mtls.Tool.Internal;

/// <summary>An input named on the command line is wrong; the message names the option and what was wrong with it. Exit code 2.</summary>
internal sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
