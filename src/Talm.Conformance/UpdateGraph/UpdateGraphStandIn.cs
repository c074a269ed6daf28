using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Talm.Conformance.UpdateGraph;

/// <summary>
/// What a hub in a lab without the internet has in front of it: an HTTP proxy (CONNECT) on loopback that
/// ends TLS for the update graph's host with a certificate of the run's CA and answers graph requests from
/// <see cref="UpdateGraphData"/>. The operator reaches it as it reaches the real graph, through HTTPS_PROXY,
/// checking the certificate; any other host is refused with 502 and a line in the log.
/// </summary>
public sealed class UpdateGraphStandIn : IAsyncDisposable
{
    private const int MaxHead = 16 * 1024;
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    private readonly UpdateGraphData _data;
    private readonly X509Certificate2 _certificate;
    private readonly TextWriter _log;
    private readonly TimeProvider _time;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<Task> _connections = [];

    private UpdateGraphStandIn(UpdateGraphData data, X509Certificate2 certificate, TimeProvider time, TextWriter log)
    {
        _data = data;
        _time = time;
        _certificate = certificate;
        _log = log;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        ProxyUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture)}");
        _accepting = AcceptAsync(_stop.Token);
    }

    /// <summary>The proxy's address, for HTTPS_PROXY.</summary>
    public Uri ProxyUri { get; }

    /// <summary>Listens on a free loopback port; <paramref name="log"/> gets one line per request (it must be thread-safe).</summary>
    public static UpdateGraphStandIn Start(UpdateGraphData data, RunCertificateAuthority ca, TimeProvider time, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(log);
        return new UpdateGraphStandIn(data, ca.IssueServerCertificate(data.Host, time), time, log);
    }

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(ServeClientAsync(client, ct));
            }
        }
    }

    private async Task ServeClientAsync(TcpClient client, CancellationToken ct)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream, ct);
                if (head is null) return;
                if (head.Method != "CONNECT")
                {
                    Log($"refused {head.Method} {head.Target}: only CONNECT to {_data.Host}:443 is served");
                    await WriteResponseAsync(stream, 502, "Bad Gateway", "text/plain",
                        $"conformance update-graph stand-in: only CONNECT to {_data.Host}:443 is served, not {head.Method} {head.Target}\n", close: true, ct);
                    return;
                }
                var (host, port) = SplitAuthority(head.Target);
                if (!string.Equals(host, _data.Host, StringComparison.OrdinalIgnoreCase) || port != 443)
                {
                    Log($"refused CONNECT {head.Target}: the stand-in answers only for {_data.Host}:443 (conformance/update-graph.json)");
                    await WriteResponseAsync(stream, 502, "Bad Gateway", "text/plain",
                        $"conformance update-graph stand-in: no route to {head.Target}; it answers only for {_data.Host}:443\n", close: true, ct);
                    return;
                }
                await stream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), ct);
                await using var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                }, ct);
                await ServeGraphAsync(tls, ct);
            }
            catch (Exception e) when (e is IOException or AuthenticationException or SocketException or OperationCanceledException or InvalidDataException)
            {
                if (!ct.IsCancellationRequested) Log($"connection ended: {e.Message}");
            }
        }
    }

    /// <summary>HTTP/1.1 requests inside the tunnel, one after the other, until the client closes or stays idle.</summary>
    private async Task ServeGraphAsync(Stream tls, CancellationToken ct)
    {
        while (true)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            idle.CancelAfter(IdleTimeout);
            Head? request;
            try
            {
                request = await ReadHeadAsync(tls, idle.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return;
            }
            if (request is null) return;
            if (request.Headers.TryGetValue("content-length", out var length) && long.TryParse(length, CultureInfo.InvariantCulture, out var n) && n > 0)
                await DiscardAsync(tls, n, ct);
            var close = request.Headers.TryGetValue("connection", out var c) && c.Equals("close", StringComparison.OrdinalIgnoreCase);
            var (status, reason, type, body) = Answer(request);
            Log($"{request.Method} https://{_data.Host}{request.Target} -> {status.ToString(CultureInfo.InvariantCulture)}");
            await WriteResponseAsync(tls, status, reason, type, request.Method == "HEAD" ? null : body, close, ct, Encoding.UTF8.GetByteCount(body));
            if (close) return;
        }
    }

    /// <summary>What the update service answers: the channel's graph as JSON, which the client must accept.</summary>
    private (int Status, string Reason, string Type, string Body) Answer(Head request)
    {
        if (request.Method is not ("GET" or "HEAD")) return (405, "Method Not Allowed", "text/plain", $"method {request.Method} is not allowed\n");
        var query = request.Target.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? request.Target : request.Target[..query];
        if (path != _data.Path) return (404, "Not Found", "text/plain", $"no such path {path}; the update graph is at {_data.Path}\n");
        var accept = request.Headers.GetValueOrDefault("accept", "*/*");
        if (!accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal))
            return (406, "Not Acceptable", "text/plain", "the update graph is served as application/json only\n");
        var channel = query < 0 ? null : QueryValue(request.Target[(query + 1)..], "channel");
        if (string.IsNullOrEmpty(channel))
            return (400, "Bad Request", "application/json", """{"kind":"missing_params","value":"mandatory client parameters missing: channel"}""");
        if (!_data.Channels.ContainsKey(channel)) Log($"channel {channel} is not in conformance/update-graph.json: answering an empty graph");
        return (200, "OK", "application/json", _data.GraphJson(channel));
    }

    private static string? QueryValue(string query, string name)
    {
        foreach (var pair in query.Split('&'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            if (key == name) return eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
        }
        return null;
    }

    private static (string Host, int Port) SplitAuthority(string authority)
    {
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || authority.EndsWith(']')) return (authority.Trim('[', ']'), 443);
        return int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? (authority[..colon].Trim('[', ']'), port)
            : (authority, -1);
    }

    private sealed record Head(string Method, string Target, Dictionary<string, string> Headers);

    /// <summary>A request line and headers; null when the peer closed before sending one.</summary>
    private static async Task<Head?> ReadHeadAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new List<byte>(1024);
        var one = new byte[1];
        while (true)
        {
            var read = await stream.ReadAsync(one, ct);
            if (read == 0)
            {
                if (buffer.Count == 0) return null;
                throw new InvalidDataException("the request head was cut short");
            }
            buffer.Add(one[0]);
            if (buffer.Count > MaxHead) throw new InvalidDataException("the request head is too long");
            var n = buffer.Count;
            if (n >= 4 && buffer[n - 4] == '\r' && buffer[n - 3] == '\n' && buffer[n - 2] == '\r' && buffer[n - 1] == '\n') break;
        }
        var lines = Encoding.ASCII.GetString([.. buffer]).Split("\r\n");
        var first = lines[0].Split(' ');
        if (first.Length != 3 || !first[2].StartsWith("HTTP/1.", StringComparison.Ordinal)) throw new InvalidDataException($"not an HTTP/1.x request: {lines[0]}");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return new Head(first[0].ToUpperInvariant(), first[1], headers);
    }

    private static async Task DiscardAsync(Stream stream, long count, CancellationToken ct)
    {
        var buffer = new byte[4096];
        while (count > 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), ct);
            if (read == 0) throw new InvalidDataException("the request body was cut short");
            count -= read;
        }
    }

    private static async Task WriteResponseAsync(Stream stream, int status, string reason, string type, string? body, bool close, CancellationToken ct, int? length = null)
    {
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Type: {type}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {length ?? bytes.Length}\r\n")
            .Append(close ? "Connection: close\r\n" : string.Empty)
            .Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct);
        if (bytes.Length > 0) await stream.WriteAsync(bytes, ct);
        await stream.FlushAsync(ct);
    }

    private void Log(string line) => _log.WriteLine($"{_time.GetUtcNow():HH:mm:ss.fff} {line}");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] open;
        lock (_connections) open = [.. _connections];
        await Task.WhenAll(open);
        _listener.Dispose();
        _certificate.Dispose();
        _stop.Dispose();
    }
}
