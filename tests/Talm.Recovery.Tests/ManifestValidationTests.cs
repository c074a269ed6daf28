using System.Text.Json.Nodes;
using Talm.Recovery.Manifest;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Tests;

/// <summary>Manifest paths and shape are checked once, at load; verify and every reader refuse what fails (issue 13, items 1 and 10).</summary>
public sealed class ManifestValidationTests : IDisposable
{
    private readonly ManifestFixture _backup = new();

    [Fact]
    public async Task The_hand_made_backup_is_intact()
    {
        var report = await BackupVerifier.VerifyAsync(_backup.Root);
        Assert.True(report.Intact, string.Join('\n', report.Problems));
    }

    [Fact]
    public async Task Verify_refuses_a_resealed_manifest_that_reaches_outside_the_backup()
    {
        // The attacker's file sits outside the backup, and the resealed manifest names it through '..'
        // with its true hash: read naively, every check passes.
        Directory.CreateDirectory(Path.Combine(_backup.Work, "outside"));
        var outside = Path.Combine(_backup.Work, "outside/e.txt");
        await File.WriteAllTextAsync(outside, "planted\n");
        _backup.AddFileEntry("etc/../../outside/e.txt", outside);

        var report = await BackupVerifier.VerifyAsync(_backup.Root);

        Assert.False(report.Intact);
        Assert.Contains(report.Problems, p => p.Contains("etc/../../outside/e.txt", StringComparison.Ordinal) && p.Contains("'..'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("etc/../x", "'..'")]
    [InlineData("etc/./x", "'.'")]
    [InlineData("/etc/x", "absolute")]
    [InlineData("etc//srv/data", "empty")]
    [InlineData("etc/", "empty")]
    [InlineData("", "empty")]
    [InlineData("etc/a\0b", "NUL")]
    [InlineData("etc/hostname/x", "not a directory")]
    [InlineData("etc/localtime/x", "not a directory")]
    [InlineData("nothere/x", "no entry for its directory")]
    public void Unsafe_or_orphan_paths_are_refused_at_load(string path, string reason)
    {
        _backup.Entries.Add(new JsonObject { ["path"] = path, ["kind"] = "Directory", ["mode"] = 493, ["uid"] = 0, ["gid"] = 0, ["mtimeNs"] = 0 });
        _backup.Save();

        var error = Assert.Throws<InvalidDataException>(() => ManifestStore.Read(_backup.Root));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("take a new", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("entries", "null")]
    [InlineData("entries", "[null]")]
    [InlineData("etcd", "null")]
    [InlineData("totals", "null")]
    [InlineData("host", "null")]
    public void Nulls_where_the_format_has_none_are_refused_at_load(string property, string json)
    {
        _backup.Json[property] = JsonNode.Parse(json);
        _backup.Save();

        var error = Assert.Throws<InvalidDataException>(() => ManifestStore.Read(_backup.Root));
        Assert.Contains(property, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Damaged_fields_of_an_entry_are_refused_at_load()
    {
        JsonObject File(string name) => _backup.Entries.Select(e => e!.AsObject()).Single(e => (string?)e["path"] == name);

        AssertRefused(() => File("etc/hostname")["xattrs"] = new JsonObject { ["user.x"] = "not base64!" }, "base64");
        AssertRefused(() => File("etc/hostname")["hardLinkTo"] = "etc/../etc/hostname", "'..'");
        AssertRefused(() => File("etc/hostname")["hardLinkTo"] = "etc/nothere", "hard link");
        AssertRefused(() => File("etc/hostname")["sha256"] = null, "SHA-256");
        AssertRefused(() => File("etc/hostname")["size"] = -1, "size");
        AssertRefused(() => File("etc/hostname")["mode"] = 0x10000, "mode");
        AssertRefused(() => File("etc/hostname")["kind"] = 7, "kind");
        AssertRefused(() => File("etc/localtime")["linkTarget"] = null, "link target");
        AssertRefused(() => _backup.Json["etcd"]!["snapshotFile"] = "../snapshot.db", "'..'");
        AssertRefused(() => _backup.Json["etcd"]!["staticPodResourcesArchive"] = "/etc/shadow", "absolute");
        AssertRefused(() => _backup.Entries.Add(File("etc/hostname").DeepClone()), "twice");
    }

    private void AssertRefused(Action damage, string reason)
    {
        var pristine = _backup.Json.DeepClone().AsObject();
        damage();
        _backup.Save();
        var error = Assert.Throws<InvalidDataException>(() => ManifestStore.Read(_backup.Root));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        _backup.Json.Clear();
        foreach (var (key, value) in pristine.ToList())
        {
            pristine.Remove(key);
            _backup.Json[key] = value;
        }

        _backup.Save();
    }

    [Fact]
    public async Task Verify_from_the_command_line_gives_one_line_and_exit_1_for_a_null_entry_list()
    {
        _backup.Json["entries"] = null;
        _backup.Save();

        var (code, output, error) = await TestHost.RunCliAsync("recovery", "verify", "--dir", _backup.Root);

        Assert.Equal(1, code);
        Assert.Contains("entries", output, StringComparison.Ordinal);
        Assert.Contains("NOT intact", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    public void Dispose() => _backup.Dispose();
}
