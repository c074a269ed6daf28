namespace Talm.KubeApi;

/// <summary>The kubeconfig clients use to reach the lab server (plain HTTP on loopback, no credentials checked).</summary>
public static class Kubeconfig
{
    public static string Render(Uri server, string name = "talm-lab") => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: {name}
          cluster:
            server: {server.ToString().TrimEnd('/')}
        contexts:
        - name: {name}
          context:
            cluster: {name}
            user: {name}
            namespace: default
        current-context: {name}
        users:
        - name: {name}
          user:
            token: lab
        """ + "\n";

    public static void Write(string path, Uri server)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, Render(server));
        File.Move(tmp, path, overwrite: true);
    }
}
