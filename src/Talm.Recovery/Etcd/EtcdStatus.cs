namespace Talm.Recovery.Etcd;

public sealed record EtcdStatus(string Version, long DbSize, long Revision, ulong MemberId);
