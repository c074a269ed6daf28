namespace Talm.Sandbox.Pods;

/// <summary>
/// What a container image stands for in the pod sandbox, which has no image store: the image's entry point
/// (run with the container's args, as Kubernetes runs an image without a command) and the directories of
/// this machine that make up its filesystem, besides the base (<c>/usr</c>, <c>/etc</c> and the
/// <c>/bin</c>, <c>/sbin</c>, <c>/lib*</c> links), mounted read-only at the same paths.
/// </summary>
public sealed record ContainerImage(IReadOnlyList<string> Entrypoint, IReadOnlyList<string> Paths)
{
    /// <summary>A .NET program run as <c>HOST [PREFIX...]</c> (dotnet + talm.dll, or an apphost): its directories are the image.</summary>
    public static ContainerImage ForProgram(string file, IReadOnlyList<string> prefix)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(prefix);
        var paths = new List<string>();
        foreach (var part in prefix.Prepend(file).Where(p => p.StartsWith('/')))
        {
            var real = new FileInfo(part).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(part);
            paths.Add(Path.GetDirectoryName(real)!);
        }

        return new ContainerImage([file, .. prefix], paths.Distinct(StringComparer.Ordinal).ToList());
    }
}
