namespace Talm.KubeApi.Auth;

/// <summary>
/// The tokens the lab server answers TokenReviews for: the lab kubeconfig's own token (user
/// <c>talm-lab</c> in <c>system:masters</c>, the lab's administrator) and those of a token file in
/// kube-apiserver's <c>--token-auth-file</c> format: one <c>token,user,uid[,"group1,group2"]</c> per
/// line, <c>#</c> comments. Every authenticated user is also in <c>system:authenticated</c>, as on a
/// real server. Read once at start.
/// </summary>
public sealed class StaticTokens
{
    public const string LabToken = "lab";
    public const string LabUserName = "talm-lab";
    public const string Masters = "system:masters";
    public const string Authenticated = "system:authenticated";

    private readonly Dictionary<string, LabUser> _users = new(StringComparer.Ordinal);

    public StaticTokens(string? tokenFile = null)
    {
        _users[LabToken] = new LabUser(LabUserName, LabUserName, [Masters, Authenticated]);
        if (tokenFile is null) return;
        var number = 0;
        foreach (var raw in File.ReadLines(tokenFile))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = SplitCsv(line);
            if (fields.Count < 3 || fields.Take(3).Any(f => f.Length == 0))
                throw new InvalidDataException($"{tokenFile}:{number}: expected token,user,uid[,\"group1,group2\"]");
            var groups = fields.Count > 3
                ? fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
                : [];
            if (!groups.Contains(Authenticated)) groups.Add(Authenticated);
            _users[fields[0]] = new LabUser(fields[1], fields[2], groups);
        }
    }

    public LabUser? Find(string token) => _users.GetValueOrDefault(token);

    /// <summary>CSV with double-quoted fields (the groups field holds commas).</summary>
    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '"' && quoted && i + 1 < line.Length && line[i + 1] == '"')
            {
                current.Append('"');
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        fields.Add(current.ToString().Trim());
        return fields;
    }
}
