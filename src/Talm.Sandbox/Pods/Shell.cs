namespace Talm.Sandbox.Pods;

/// <summary>POSIX shell quoting for the scripts the pod sandbox writes.</summary>
internal static class Shell
{
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));
}
