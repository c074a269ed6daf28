using Talm.Recovery.Host;

namespace Talm.Recovery.Backup;

/// <summary>
/// The content of <c>etc.exclude.list</c>: every path a tmpfiles.d rule names under <c>/etc/</c>
/// (relative to <c>/etc</c>), plus <c>.updated</c> and <c>kubernetes/manifests</c>, which a restore
/// of <c>/etc</c> must leave alone.
/// </summary>
public static class EtcExclusions
{
    public static IReadOnlyList<string> Build(HostPaths host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (Directory.Exists(host.TmpfilesDir))
        {
            foreach (var file in Directory.EnumerateFiles(host.TmpfilesDir).Order(StringComparer.Ordinal))
            {
                foreach (var raw in File.ReadLines(file))
                {
                    var line = raw.Trim();
                    if (line.Length == 0 || line[0] == '#')
                    {
                        continue;
                    }

                    var columns = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    if (columns.Length >= 2 && columns[1].StartsWith("/etc/", StringComparison.Ordinal) && columns[1].Length > 5)
                    {
                        var relative = columns[1][5..];
                        if (seen.Add(relative))
                        {
                            result.Add(relative);
                        }
                    }
                }
            }
        }

        foreach (var always in (string[])[".updated", "kubernetes/manifests"])
        {
            if (seen.Add(always))
            {
                result.Add(always);
            }
        }

        return result;
    }
}
