// The lab runs real Linux tools (etcd, ostree) and sets Unix file modes: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
