using System.Text;

namespace Talm.Recovery.Etcd;

/// <summary>
/// <c>etcd.env</c> from OpenShift's etcd-scripts config map: one <c>export NAME="value"</c> line per
/// variable (values quoted as Go's <c>%q</c> does), the file its <c>cluster-backup.sh</c> and
/// <c>cluster-restore.sh</c> source for ETCDCTL_ENDPOINTS, ETCDCTL_CACERT/CERT/KEY, ETCD_IMAGE and the
/// NODE_&lt;node&gt;_IP / _ETCD_NAME of every control-plane node.
/// </summary>
public static class EtcdScriptsEnv
{
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            result[line[..equals]] = Unquote(line[(equals + 1)..]);
        }

        return result;
    }

    private static string Unquote(string value)
    {
        if (value.Length >= 2 && value[0] == '\'' && value[^1] == '\'')
        {
            return value[1..^1];
        }

        if (value.Length < 2 || value[0] != '"' || value[^1] != '"')
        {
            return value;
        }

        var text = new StringBuilder(value.Length);
        for (var i = 1; i < value.Length - 1; i++)
        {
            var c = value[i];
            if (c != '\\' || i + 1 >= value.Length - 1)
            {
                text.Append(c);
                continue;
            }

            var next = value[++i];
            text.Append(next switch
            {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                _ => next,
            });
        }

        return text.ToString();
    }
}
