using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Talm.Recovery.Etcd.Protocol;

namespace Talm.Recovery.Etcd;

/// <summary>
/// etcd v3 over gRPC: streaming snapshot with trailer check, status, and KV get/put. Nothing waits on
/// etcd for longer than <see cref="EtcdConnection.CallTimeout"/>: each request has that deadline (which
/// covers connecting), and a snapshot stream may not pause for longer.
/// </summary>
public sealed class EtcdClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly KV.KVClient _kv;
    private readonly Maintenance.MaintenanceClient _maintenance;
    private readonly string _endpoint;
    private readonly TimeSpan _timeout;

    public EtcdClient(EtcdConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (EtcdConnectionCheck.Problem(connection) is { } problem)
        {
            throw new EtcdException(problem);
        }

        _endpoint = connection.Endpoint.ToString();
        _timeout = connection.CallTimeout;

        // A backstop only: each call's own deadline (below) covers connecting and fires first. A
        // snapshot is one long stream: a large window lets etcd send without waiting for window updates.
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, ConnectTimeout = _timeout * 2, InitialHttp2StreamWindowSize = 8 << 20 };
        if (connection.Endpoint.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = BuildTls(connection);
        }

        _channel = GrpcChannel.ForAddress(connection.Endpoint, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 64 << 20,
            MaxSendMessageSize = 64 << 20,
        });
        _kv = new KV.KVClient(_channel);
        _maintenance = new Maintenance.MaintenanceClient(_channel);
    }

    public async Task<EtcdStatus> StatusAsync(CancellationToken cancellationToken = default)
    {
        var response = await Call(() => _maintenance.StatusAsync(new StatusRequest(), deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return new EtcdStatus(response.Version, response.DbSize, response.Header.Revision, response.Header.MemberId);
    }

    public async Task<long> PutAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var response = await Call(() => _kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFrom(value.Span) }, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return response.Header.Revision;
    }

    /// <summary>The value of one key, or null.</summary>
    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var response = await Call(() => _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return response.Kvs.Count == 0 ? null : response.Kvs[0].Value.ToByteArray();
    }

    /// <summary>How many keys start with <paramref name="prefix"/>.</summary>
    public async Task<long> CountPrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var key = System.Text.Encoding.UTF8.GetBytes(prefix);
        var end = (byte[])key.Clone();
        end[^1]++;
        var response = await Call(() => _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(key), RangeEnd = ByteString.CopyFrom(end), CountOnly = true }, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return response.Count;
    }

    /// <summary>How many keys etcd holds at <paramref name="revision"/> (0: now), counted by etcd itself.</summary>
    public async Task<long> CountAllAsync(long revision = 0, CancellationToken cancellationToken = default)
    {
        // Key "\0" with range end "\0" is every key.
        var all = ByteString.CopyFrom(0);
        var response = await Call(() => _kv.RangeAsync(new RangeRequest { Key = all, RangeEnd = all, CountOnly = true, Revision = revision }, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return response.Count;
    }

    /// <summary>
    /// Streams a snapshot into <paramref name="path"/> (flushed to disk), then checks that its last 32
    /// bytes are the SHA-256 of everything before; a mismatch deletes the file and throws.
    /// </summary>
    public async Task<SnapshotResult> SnapshotAsync(string path, Action<long>? onBytes = null, CancellationToken cancellationToken = default)
    {
        var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
        // One pass over the bytes gives both hashes: the database's (all but the trailer) is taken as it
        // stands before the trailer goes in, and the trailer then completes the whole file's.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var tail = new byte[SnapshotIntegrity.TrailerLength];
        var tailLength = 0;
        long total = 0;
        try
        {
            var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            await using (file.ConfigureAwait(false))
            {
                // No deadline for the whole stream (a large database takes as long as it takes), but etcd
                // may never fall silent for longer than the call timeout: the clock restarts with each piece.
                using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                silence.CancelAfter(_timeout);
                using var call = _maintenance.Snapshot(new SnapshotRequest(), cancellationToken: silence.Token);
                try
                {
                    while (await call.ResponseStream.MoveNext(silence.Token).ConfigureAwait(false))
                    {
                        silence.CancelAfter(_timeout);
                        var blob = call.ResponseStream.Current.Blob.Memory;
                        await file.WriteAsync(blob, cancellationToken).ConfigureAwait(false);
                        total += blob.Length;
                        HashAllButLast32(hash, tail, ref tailLength, blob.Span);
                        onBytes?.Invoke(blob.Length);
                    }
                }
                catch (Exception e) when (e is RpcException or OperationCanceledException && silence.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw Silent(e);
                }
                catch (RpcException e)
                {
                    throw new EtcdException($"etcd snapshot from {_endpoint} failed: {e.Status.Detail} ({e.StatusCode}); check that etcd is running and the endpoint and certificates are right", e);
                }

                file.Flush(flushToDisk: true);
            }

            if (tailLength < SnapshotIntegrity.TrailerLength)
            {
                throw new EtcdException($"etcd snapshot from {_endpoint} ended after {total} bytes, before its SHA-256 trailer; retry the backup");
            }

            var actual = hash.GetCurrentHash();
            if (!CryptographicOperations.FixedTimeEquals(actual, tail))
            {
                throw new EtcdException($"etcd snapshot from {_endpoint} is corrupt: SHA-256 of the database does not match its trailer; retry the backup");
            }

            hash.AppendData(tail);
            return new SnapshotResult(total, Convert.ToHexStringLower(actual), Convert.ToHexStringLower(hash.GetHashAndReset()), status.Revision);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    // Keeps the last 32 bytes seen in `tail` and feeds everything older to the hash.
    private static void HashAllButLast32(IncrementalHash hash, byte[] tail, ref int tailLength, ReadOnlySpan<byte> chunk)
    {
        const int T = SnapshotIntegrity.TrailerLength;
        if (chunk.Length >= T)
        {
            hash.AppendData(tail, 0, tailLength);
            hash.AppendData(chunk[..^T]);
            chunk[^T..].CopyTo(tail);
            tailLength = T;
            return;
        }

        var overflow = tailLength + chunk.Length - T;
        if (overflow > 0)
        {
            hash.AppendData(tail, 0, overflow);
            Array.Copy(tail, overflow, tail, 0, tailLength - overflow);
            tailLength -= overflow;
        }

        chunk.CopyTo(tail.AsSpan(tailLength));
        tailLength += chunk.Length;
    }

    private DateTime Deadline() => DateTime.UtcNow + _timeout;

    private EtcdException Silent(Exception e) =>
        new($"etcd at {_endpoint} did not answer within {_timeout.TotalSeconds:0.#} s; check that etcd is running and that this is its client URL (a firewall that drops packets looks the same)", e);

    private async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            throw Silent(e);
        }
        catch (RpcException e)
        {
            throw new EtcdException($"etcd at {_endpoint}: {e.Status.Detail} ({e.StatusCode}); check that etcd is running and the endpoint and certificates are right", e);
        }
    }

    private static SslClientAuthenticationOptions BuildTls(EtcdConnection connection)
    {
        var options = new SslClientAuthenticationOptions();
        if (connection.CertFile is not null && connection.KeyFile is not null)
        {
            options.ClientCertificates = [X509Certificate2.CreateFromPemFile(connection.CertFile, connection.KeyFile)];
        }

        if (connection.CaCertFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(connection.CaCertFile);
            options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                // etcd serving certs name the node, not "localhost": trust the CA, not the host name.
                return chain.Build(new X509Certificate2(certificate));
            };
        }

        return options;
    }

    public void Dispose() => _channel.Dispose();
}
