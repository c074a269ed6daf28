using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore;

public sealed partial class TreeMirror
{
    /// <summary>
    /// One thread's view of the target: the chain of directories down to the one it used last stays open,
    /// so in the manifest's (depth-first) order each directory is opened once, one name at a time, never
    /// through a symlink.
    /// </summary>
    private sealed class Worker(ConfinedDirectory target) : IDisposable
    {
        private readonly List<(string Rel, ConfinedDirectory Dir)> _chain = [];

        public Counters Counters { get; } = new();

        /// <summary>The directory holding <paramref name="rel"/>; <paramref name="name"/> is its last name.</summary>
        public ConfinedDirectory DirectoryOf(string rel, out string name)
        {
            var slash = rel.LastIndexOf('/');
            var parent = slash < 0 ? "" : rel[..slash];
            name = rel[(slash + 1)..];
            while (_chain.Count > 0 && !(_chain[^1].Rel.Length == 0 || parent == _chain[^1].Rel || parent.StartsWith(_chain[^1].Rel + "/", StringComparison.Ordinal)))
            {
                _chain[^1].Dir.Dispose();
                _chain.RemoveAt(_chain.Count - 1);
            }

            if (_chain.Count == 0)
            {
                _chain.Add(("", target.OpenDirectory("")));
            }

            while (_chain[^1].Rel != parent)
            {
                var (topRel, top) = _chain[^1];
                var rest = topRel.Length == 0 ? parent : parent[(topRel.Length + 1)..];
                var next = rest.Split('/', 2)[0];
                _chain.Add((topRel.Length == 0 ? next : topRel + "/" + next, top.OpenDirectory(next)));
            }

            return _chain[^1].Dir;
        }

        public void Dispose()
        {
            foreach (var (_, dir) in _chain)
            {
                dir.Dispose();
            }

            _chain.Clear();
        }
    }

    private sealed class Counters
    {
        public int Unchanged;
        public int Copied;
        public int MetadataFixed;
        public int Hashed;
        public int Deleted;
        public long BytesCopied;
        public long BytesHashed;

        public void Add(Counters other)
        {
            lock (this)
            {
                Unchanged += other.Unchanged;
                Copied += other.Copied;
                MetadataFixed += other.MetadataFixed;
                Hashed += other.Hashed;
                Deleted += other.Deleted;
                BytesCopied += other.BytesCopied;
                BytesHashed += other.BytesHashed;
            }
        }
    }
}
