using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Talm.Recovery.Backup;
using Talm.Recovery.Etcd;
using Talm.Recovery.Processes;
using Talm.Sandbox;

namespace Talm.Recovery.Tests;

/// <summary>A fresh small sandbox host with its real etcd running, and a backup directory beside it.</summary>
public sealed class TestHost : IDisposable
{
    private LocalEtcd? _etcd;

    private TestHost(string work, string hostName)
    {
        Work = work;
        Root = Path.Combine(work, hostName);
        BackupDir = Path.Combine(work, "recovery");
    }

    public string Work { get; }

    public string Root { get; }

    public string BackupDir { get; }

    public SandboxSeed Seed { get; private set; } = null!;

    public LocalEtcd Etcd => _etcd!;

    public static async Task<TestHost> CreateAsync(int seed = 7, string hostName = "host")
    {
        var host = new TestHost(Directory.CreateTempSubdirectory("talm-rt-").FullName, hostName);
        try
        {
            host.Seed = await new SandboxHost(host.Root, SandboxProfile.Small, seed).CreateAsync();
            host._etcd = await SandboxEtcd.StartAsync(Path.Combine(host.Root, "var/lib/etcd"));
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>The talm built next to the tests (the CLI project is referenced for this).</summary>
    public static string TalmDll => Path.Combine(AppContext.BaseDirectory, "talm.dll");

    public BackupOptions Options(string? backupDir = null) => new()
    {
        HostRoot = Root,
        BackupDir = backupDir ?? BackupDir,
        Etcd = Etcd.Connection,
        SpaceMargin = 0,
        Program = new ProgramLocation(AppContext.BaseDirectory.TrimEnd('/'), "talm.dll"),
        ToolVersion = "test",
        Parallelism = 4,
    };

    public async Task<BackupOutcome> BackupAsync(BackupOptions? options = null, IBackupProgressReporter? reporter = null) =>
        await new BackupRunner(options ?? Options(), new ProcessRunner(), NullLogger.Instance, TimeProvider.System, reporter ?? NullProgressReporter.Instance).RunAsync();

    /// <summary>
    /// The spoke agent on its own (talm-recovery), in its project's own output: beside the tests it would find the
    /// logging assemblies neither in its directory nor in its runtime (the tests' talm brings the ASP.NET one).
    /// </summary>
    public static string TalmRecoveryDll { get; } = FindTalmRecovery();

    /// <summary>Starts <c>dotnet talm.dll ARGS</c>.</summary>
    public static Process StartCli(params string[] args) => StartProgram(TalmDll, args);

    /// <summary>Starts <c>dotnet PROGRAM.dll ARGS</c>.</summary>
    public static Process StartProgram(string dll, params string[] args) => StartProgramIn(null, dll, args);

    /// <summary>Starts <c>dotnet PROGRAM.dll ARGS</c> in <paramref name="workingDirectory"/> (null: the tests' own).</summary>
    public static Process StartProgramIn(string? workingDirectory, string dll, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? "" };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    public static Task<(int ExitCode, string Output, string Error)> RunCliAsync(params string[] args) => RunProgramAsync(TalmDll, args);

    public static Task<(int ExitCode, string Output, string Error)> RunProgramAsync(string dll, params string[] args) => RunProgramInAsync(null, dll, args);

    public static async Task<(int ExitCode, string Output, string Error)> RunProgramInAsync(string? workingDirectory, string dll, params string[] args)
    {
        using var process = StartProgramIn(workingDirectory, dll, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private static string FindTalmRecovery()
    {
        // .../tests/Talm.Recovery.Tests/bin/<Configuration>/<tfm>/
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var configuration = tfm.Parent!.Name;
        for (var dir = tfm; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Talm.slnx")))
            {
                return Path.Combine(dir.FullName, "src", "Talm.Recovery.Cli", "bin", configuration, tfm.Name, "talm-recovery.dll");
            }
        }

        throw new InvalidOperationException($"no Talm.slnx above {AppContext.BaseDirectory}");
    }

    public string[] BackupArgs(string? dir = null) =>
        ["--host-root", Root, "--dir", dir ?? BackupDir, "--etcd-endpoint", Etcd.ClientUrl.ToString(), "--space-margin", "0"];

    public void Dispose()
    {
        _etcd?.Dispose();
        SandboxHost.Delete(Root);
        if (Directory.Exists(Work))
        {
            Directory.Delete(Work, recursive: true);
        }
    }
}
