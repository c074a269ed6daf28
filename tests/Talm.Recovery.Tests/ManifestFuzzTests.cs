using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;

namespace Talm.Recovery.Tests;

/// <summary>
/// The manifest loader against damaged and hostile input: whatever the bytes, it either refuses them
/// with <see cref="InvalidDataException"/> (the one-line "damaged backup" answer every command turns
/// into an exit code) or returns a manifest whose every path is safe to join under a root.
/// </summary>
public sealed class ManifestFuzzTests : IDisposable
{
    private static readonly string[] Fragments = ["..", ".", "", "/", "etc", "ssh", "hostname", "a", "\0", "//", "x/../y", "/srv/data", "é", "\\"];

    private static readonly JsonNode?[] Values = [null, 0, -1, 7, long.MaxValue, "", "..", "etc", "not base64!", true, new JsonArray(), new JsonObject(), new JsonArray((JsonNode?)null)];

    private readonly ManifestFixture _backup = new();

    private static readonly Gen<string> Paths = Gen.Int[0, 5].SelectMany(n => Gen.OneOf(Fragments).Array[n]).Select(parts => string.Join('/', parts));

    /// <summary>One random change to a valid manifest, applied to its JSON text.</summary>
    private Gen<string> Mutations(string pristine)
    {
        var entryCount = _backup.Entries.Count;
        string Edit(Action<JsonObject> change)
        {
            var json = JsonNode.Parse(pristine)!.AsObject();
            change(json);
            return json.ToJsonString();
        }

        JsonObject Entry(JsonObject json, int i) => json["entries"]!.AsArray()[i % entryCount]!.AsObject();

        return Gen.OneOf(new IGen<string>[]
        {
            Gen.Select(Gen.Int[0, entryCount - 1], Paths, (i, p) => Edit(j => Entry(j, i)["path"] = p)),
            Gen.Select(Gen.Int[0, entryCount - 1], Paths, (i, p) => Edit(j => Entry(j, i)["hardLinkTo"] = p)),
            Gen.Select(Gen.Int[0, entryCount - 1], Paths, (i, p) => Edit(j => Entry(j, i)["linkTarget"] = p)),
            Paths.Select(p => Edit(j => j["etcd"]!["snapshotFile"] = p)),
            Gen.Select(Gen.Int[0, entryCount - 1], Gen.OneOf("path", "kind", "mode", "uid", "gid", "mtimeNs", "size", "sha256", "linkTarget", "hardLinkTo", "xattrs", "source"), Gen.Int[0, Values.Length - 1],
                (i, field, v) => Edit(j => Entry(j, i)[field] = Values[v]?.DeepClone())),
            Gen.Select(Gen.OneOf("format", "toolVersion", "host", "startedAt", "completedAt", "timestamp", "etcd", "ostree", "entries", "totals", "images"), Gen.Int[0, Values.Length - 1],
                (field, v) => Edit(j => j[field] = Values[v]?.DeepClone())),
            Gen.Select(Gen.Int[0, entryCount - 1], Gen.OneOf("path", "kind", "mode", "uid", "gid", "mtimeNs"), (i, field) => Edit(j => Entry(j, i).Remove(field))),
            Gen.Int[0, entryCount - 1].Select(i => Edit(j => j["entries"]!.AsArray().Add(Entry(j, i).DeepClone()))),
            Gen.Int[0, pristine.Length].Select(cut => pristine[..cut]),
            Gen.Select(Gen.Int[0, pristine.Length - 1], Gen.Char, (at, c) => string.Concat(pristine.AsSpan(0, at), c.ToString(), pristine.AsSpan(at + 1))),
        });
    }

    [Fact]
    public void Any_damage_is_either_refused_cleanly_or_loads_only_safe_paths()
    {
        var pristine = File.ReadAllText(Path.Combine(_backup.Root, BackupLayout.Manifest));
        Mutations(pristine).Sample(
            text =>
            {
                BackupManifest manifest;
                try
                {
                    manifest = ManifestStore.Parse(new MemoryStream(Encoding.UTF8.GetBytes(text)), "fuzz/manifest.json");
                }
                catch (InvalidDataException e)
                {
                    Assert.False(string.IsNullOrWhiteSpace(e.Message));
                    Assert.DoesNotContain('\n', e.Message);
                    return;
                }

                AssertSafe(manifest);
            },
            iter: 3000);
    }

    /// <summary>The invariants the restore relies on, checked independently of the loader.</summary>
    private static void AssertSafe(BackupManifest manifest)
    {
        Assert.NotNull(manifest.Entries);
        Assert.NotNull(manifest.Etcd);
        Assert.NotNull(manifest.Totals);
        Assert.True(Safe(manifest.Etcd.SnapshotFile), manifest.Etcd.SnapshotFile);
        Assert.True(Safe(manifest.Etcd.StaticPodResourcesArchive));
        var kinds = new Dictionary<string, EntryKind>(StringComparer.Ordinal);
        foreach (var entry in manifest.Entries)
        {
            Assert.NotNull(entry);
            Assert.True(Safe(entry.Path), entry.Path);
            Assert.True(kinds.TryAdd(entry.Path, entry.Kind), "twice: " + entry.Path);
        }

        foreach (var entry in manifest.Entries)
        {
            var slash = entry.Path.LastIndexOf('/');
            if (slash > 0)
            {
                Assert.Equal(EntryKind.Directory, kinds.GetValueOrDefault(entry.Path[..slash], EntryKind.File));
            }

            if (entry.HardLinkTo is not null)
            {
                Assert.True(Safe(entry.HardLinkTo));
            }

            foreach (var value in entry.Xattrs?.Values ?? [])
            {
                Convert.FromBase64String(value);
            }
        }
    }

    private static bool Safe(string? path) =>
        !string.IsNullOrEmpty(path) && !path.Contains('\0', StringComparison.Ordinal) && path.Split('/').All(s => s.Length > 0 && s != "." && s != "..");

    public void Dispose() => _backup.Dispose();
}
