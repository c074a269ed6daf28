using System.Net;
using Microsoft.Extensions.Logging;

namespace Talm.KubeApi;

/// <summary>How to run the embedded API server.</summary>
public sealed record KubeApiServerOptions
{
    /// <summary>Loopback only: the lab server has no authentication and speaks plain HTTP.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>Where to write the kubeconfig; null writes one into a temporary directory removed on dispose.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>With a directory, state survives restarts (snapshot + fsynced write-ahead log); null keeps it in memory.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>With <see cref="DataDirectory"/>: fold the write-ahead log into a new snapshot after this many records.</summary>
    public long SnapshotAfterRecords { get; init; } = 200_000;

    /// <summary>How many recent events a watch can resume from before it gets 410 Gone.</summary>
    public int WatchWindow { get; init; } = 100_000;

    /// <summary>How often an idle watch that asked for bookmarks gets one.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Manifests (YAML, multi-document) created at start when absent, e.g. the lab CRDs.</summary>
    public IReadOnlyList<string> ManifestFiles { get; init; } = [];

    /// <summary>
    /// Tokens that TokenReviews authenticate, in kube-apiserver's --token-auth-file format
    /// (<c>token,user,uid[,"group1,group2"]</c>); the kubeconfig's own token is always known (see <see cref="Auth.StaticTokens"/>).
    /// </summary>
    public string? TokenAuthFile { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public ILoggerFactory? LoggerFactory { get; init; }
}
