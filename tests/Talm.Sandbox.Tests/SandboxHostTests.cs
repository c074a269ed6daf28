using Talm.Recovery.Backup;
using Talm.Recovery.Processes;
using Talm.Sandbox;

namespace Talm.Sandbox.Tests;

/// <summary>A sandbox host leaves nothing behind on the machine when it goes.</summary>
public sealed class SandboxHostTests
{
    [Fact]
    public async Task Deleting_a_host_removes_its_container_through_podman_so_its_lock_returns_to_the_shared_pool()
    {
        var work = Directory.CreateTempSubdirectory("talm-host-").FullName;
        var root = Path.Combine(work, "h");
        try
        {
            await new SandboxHost(root, SandboxProfile.Small, 7).CreateAsync();
            var storage = Path.Combine(root, "var/lib/containers/storage");
            string[] podman = ["--root", storage, "--runroot", PodmanRunRoot.For(storage), "--storage-driver", "vfs"];
            var before = await new ProcessRunner().RunAsync("podman", [.. podman, "ps", "--all", "--format", "{{.Names}}"]);
            Assert.Equal("etcd-sidecar", before.StandardOutput.Trim());

            PodmanRunRoot.RemoveFor(root);

            // Asked again (podman makes the run root anew): the container is gone, and with it the lock it held.
            var after = await new ProcessRunner().RunAsync("podman", [.. podman, "ps", "--all", "--format", "{{.Names}}"]);
            Assert.Equal("", after.StandardOutput.Trim());
        }
        finally
        {
            SandboxHost.Delete(root);
            Directory.Delete(work, recursive: true);
        }
    }
}
