using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Talm.KubeApi.Json;

/// <summary>
/// Decodes the Kubernetes protobuf wire format (<c>k8s\0</c> + runtime.Unknown) that kubectl's typed
/// clients send for built-in kinds (<c>kubectl create configmap|secret|namespace|serviceaccount</c>) into JSON.
/// Only the kinds served here are known; anything else is a 415 that says to send JSON.
/// </summary>
public static class ProtobufDecoder
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";

    private enum T { Str, Bytes, Int, Bool, Msg, MapStr, MapBytes, Time, MicroTime }

    private sealed record F(string Name, T Type, bool Repeated = false, Dictionary<int, F>? Message = null);

    private static readonly Dictionary<int, F> OwnerReference = new()
    {
        [1] = new("kind", T.Str), [3] = new("name", T.Str), [4] = new("uid", T.Str), [5] = new("apiVersion", T.Str),
        [6] = new("controller", T.Bool), [7] = new("blockOwnerDeletion", T.Bool),
    };

    private static readonly Dictionary<int, F> ObjectMeta = new()
    {
        [1] = new("name", T.Str), [2] = new("generateName", T.Str), [3] = new("namespace", T.Str), [5] = new("uid", T.Str),
        [6] = new("resourceVersion", T.Str), [7] = new("generation", T.Int), [8] = new("creationTimestamp", T.Time),
        [9] = new("deletionTimestamp", T.Time), [10] = new("deletionGracePeriodSeconds", T.Int),
        [11] = new("labels", T.MapStr), [12] = new("annotations", T.MapStr),
        [13] = new("ownerReferences", T.Msg, true, OwnerReference), [14] = new("finalizers", T.Str, true),
    };

    private static readonly Dictionary<int, F> ObjectReference = new()
    {
        [1] = new("kind", T.Str), [2] = new("namespace", T.Str), [3] = new("name", T.Str), [4] = new("uid", T.Str),
        [5] = new("apiVersion", T.Str), [6] = new("resourceVersion", T.Str), [7] = new("fieldPath", T.Str),
    };

    private static readonly Dictionary<string, Dictionary<int, F>> Kinds = new(StringComparer.Ordinal)
    {
        ["v1/ConfigMap"] = new()
        {
            [1] = new("metadata", T.Msg, Message: ObjectMeta), [2] = new("data", T.MapStr), [3] = new("binaryData", T.MapBytes),
            [4] = new("immutable", T.Bool),
        },
        ["v1/Secret"] = new()
        {
            [1] = new("metadata", T.Msg, Message: ObjectMeta), [2] = new("data", T.MapBytes), [3] = new("type", T.Str),
            [4] = new("stringData", T.MapStr), [5] = new("immutable", T.Bool),
        },
        ["v1/Namespace"] = new()
        {
            [1] = new("metadata", T.Msg, Message: ObjectMeta),
            [2] = new("spec", T.Msg, Message: new() { [1] = new("finalizers", T.Str, true) }),
            [3] = new("status", T.Msg, Message: new() { [1] = new("phase", T.Str) }),
        },
        ["v1/ServiceAccount"] = new()
        {
            [1] = new("metadata", T.Msg, Message: ObjectMeta), [2] = new("secrets", T.Msg, true, ObjectReference),
            [3] = new("imagePullSecrets", T.Msg, true, new() { [1] = new("name", T.Str) }),
            [4] = new("automountServiceAccountToken", T.Bool),
        },
        ["coordination.k8s.io/v1/Lease"] = new()
        {
            [1] = new("metadata", T.Msg, Message: ObjectMeta),
            [2] = new("spec", T.Msg, Message: new()
            {
                [1] = new("holderIdentity", T.Str), [2] = new("leaseDurationSeconds", T.Int), [3] = new("acquireTime", T.MicroTime),
                [4] = new("renewTime", T.MicroTime), [5] = new("leaseTransitions", T.Int), [6] = new("strategy", T.Str),
                [7] = new("preferredHolder", T.Str),
            }),
        },
    };

    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (body.Length < 4 || !body[..4].SequenceEqual("k8s\0"u8))
            throw Unsupported("the protobuf body lacks the k8s envelope");
        var unknown = ReadMessage(body[4..].ToArray(), new Dictionary<int, F>
        {
            [1] = new("typeMeta", T.Msg, Message: new() { [1] = new("apiVersion", T.Str), [2] = new("kind", T.Str) }),
            [2] = new("raw", T.Bytes),
        });
        var apiVersion = JsonUtil.Str(unknown["typeMeta"], "apiVersion") ?? string.Empty;
        var kind = JsonUtil.Str(unknown["typeMeta"], "kind") ?? string.Empty;
        if (!Kinds.TryGetValue(apiVersion + "/" + kind, out var schema))
            throw Unsupported($"protobuf bodies are decoded only for the built-in kinds; send {apiVersion} {kind} as JSON");
        var raw = Convert.FromBase64String(JsonUtil.Str(unknown, "raw") ?? string.Empty);
        var obj = ReadMessage(raw, schema);
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        return obj;
    }

    private static ApiException Unsupported(string message) => new(415, "UnsupportedMediaType", message);

    private static JsonObject ReadMessage(byte[] data, Dictionary<int, F> schema)
    {
        var obj = new JsonObject();
        var pos = 0;
        while (pos < data.Length)
        {
            var tag = ReadVarint(data, ref pos);
            var field = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            ulong number = 0;
            byte[]? bytes = null;
            switch (wire)
            {
                case 0:
                    number = ReadVarint(data, ref pos);
                    break;
                case 1:
                    pos += 8;
                    break;
                case 2:
                    var len = (int)ReadVarint(data, ref pos);
                    if (len < 0 || pos + len > data.Length) throw Unsupported("the protobuf body is truncated");
                    bytes = data[pos..(pos + len)];
                    pos += len;
                    break;
                case 5:
                    pos += 4;
                    break;
                default:
                    throw Unsupported($"unsupported protobuf wire type {wire}");
            }
            if (!schema.TryGetValue(field, out var f)) continue;
            JsonNode? value = f.Type switch
            {
                T.Str => Encoding.UTF8.GetString(bytes ?? []),
                T.Bytes => Convert.ToBase64String(bytes ?? []),
                T.Int => JsonValue.Create((long)number),
                T.Bool => JsonValue.Create(number != 0),
                T.Msg => ReadMessage(bytes ?? [], f.Message!),
                T.Time or T.MicroTime => Time(bytes ?? [], f.Type == T.MicroTime),
                T.MapStr or T.MapBytes => null,
                _ => null,
            };
            if (f.Type is T.MapStr or T.MapBytes)
            {
                var entry = ReadMessage(bytes ?? [], new Dictionary<int, F>
                {
                    [1] = new("key", T.Str), [2] = new("value", f.Type == T.MapStr ? T.Str : T.Bytes),
                });
                var map = obj[f.Name] as JsonObject ?? new JsonObject();
                map[JsonUtil.Str(entry, "key") ?? string.Empty] = JsonUtil.Str(entry, "value") ?? string.Empty;
                obj[f.Name] = map;
            }
            else if (f.Repeated)
            {
                var array = obj[f.Name] as JsonArray ?? new JsonArray();
                array.Add(value);
                obj[f.Name] = array;
            }
            else if (f.Type != T.Str || ((string?)value)?.Length > 0)
            {
                // proto2 writes empty optional strings; JSON (Go omitempty) leaves them out.
                obj[f.Name] = value;
            }
        }
        return obj;
    }

    private static string Time(byte[] data, bool micro)
    {
        var m = ReadMessage(data, new Dictionary<int, F> { [1] = new("s", T.Int), [2] = new("n", T.Int) });
        var seconds = m["s"]?.GetValue<long>() ?? 0;
        var nanos = m["n"]?.GetValue<long>() ?? 0;
        DateTime at;
        try
        {
            at = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100).UtcDateTime;
        }
        catch (ArgumentOutOfRangeException)
        {
            throw ApiException.BadRequest($"the protobuf body holds a time out of range ({seconds} s, {nanos} ns)");
        }
        return at.ToString(micro ? "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'" : "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private static ulong ReadVarint(byte[] data, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw Unsupported("the protobuf body is truncated");
            var b = data[pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Unsupported("malformed protobuf varint");
    }
}
