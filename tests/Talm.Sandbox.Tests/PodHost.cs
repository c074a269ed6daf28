using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Sandbox.Pods;

namespace Talm.Sandbox.Tests;

/// <summary>A fresh small sandbox host brought up as a node (own network namespace, etcd with TLS on its IP), for pods.</summary>
public sealed class PodHost : IAsyncDisposable
{
    public const string RecoveryImage = "quay.io/talm/recovery:test";

    private PodHost(string work, SandboxNode node)
    {
        Work = work;
        Node = node;
    }

    public string Work { get; }

    public SandboxNode Node { get; }

    public string Root => Node.HostRoot;

    public string LogFile => Path.Combine(Work, "pods.log");

    /// <summary>The recovery image is the talm built beside the tests, run by the dotnet running them.</summary>
    public static ContainerImage Talm => ContainerImage.ForProgram(DotnetHost, [Path.Combine(AppContext.BaseDirectory, "talm.dll")]);

    private static string DotnetHost => Environment.ProcessPath is { } p && Path.GetFileName(p) == "dotnet" ? p : "/usr/bin/dotnet";

    public static async Task<PodHost> CreateAsync(Action<string>? shape = null)
    {
        var work = Directory.CreateTempSubdirectory("talm-pods-").FullName;
        try
        {
            var root = Path.Combine(work, "h");
            await new SandboxHost(root, SandboxProfile.Small, 11).CreateAsync();
            shape?.Invoke(root);
            var node = await SandboxNode.StartAsync(root, Path.Combine(work, "etcd.log"));
            return new PodHost(work, node);
        }
        catch
        {
            SandboxHost.Delete(Path.Combine(work, "h"));
            Directory.Delete(work, recursive: true);
            throw;
        }
    }

    /// <summary>The backup Job exactly as the operator puts it into backup-job-create.</summary>
    public static JsonObject BackupJob() =>
        JsonNode.Parse(JsonSerializer.Serialize(global::Talm.Engine.Reconcile.BackupJob.Build(RecoveryImage)))!.AsObject();

    /// <summary>The backup Job with its container's command and args replaced (the image is still talm).</summary>
    public static JsonObject BackupJobRunning(string[]? command, params string[] args)
    {
        var job = BackupJob();
        var container = job["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();
        if (command is not null)
        {
            container["command"] = new JsonArray([.. command.Select(c => (JsonNode)c)]);
        }

        container["args"] = new JsonArray([.. args.Select(a => (JsonNode)a)]);
        return job;
    }

    public Task<PodResult> RunAsync(JsonObject job, bool nodeUnreachable = false) =>
        PodSandbox.RunAsync(Node, JobPod.FromJob(job), new PodRunOptions
        {
            Images = new Dictionary<string, ContainerImage> { [RecoveryImage] = Talm },
            LogFile = LogFile,
            NodeUnreachable = nodeUnreachable,
        }, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        SandboxHost.Delete(Root);
        Directory.Delete(Work, recursive: true);
    }
}
