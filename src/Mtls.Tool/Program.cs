using Mtls.Tool.Internal;

namespace Mtls.Tool;

/// <summary>The <c>mtls</c> command: the library's own verdicts, reason codes and certificate views on the command line.</summary>
internal static class Program
{
    /// <summary>Runs one command.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>0 ok/accepted, 1 rejected/failed, 2 usage.</returns>
    public static int Main(string[] args) => MtlsCommandLine.Run(args, Console.Out, Console.Error);
}
