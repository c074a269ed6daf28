using System.Runtime.InteropServices;

namespace Talm.Conformance.Run;

/// <summary>SIGTERM for a child we started (.NET only has SIGKILL).</summary>
internal static partial class Signals
{
    private const int SigTerm = 15;

    public static void Terminate(int pid) => _ = Kill(pid, SigTerm);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
