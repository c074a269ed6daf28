using System.Text.Json.Nodes;

namespace Talm.KubeApi;

/// <summary>A request failure that becomes a Kubernetes <c>Status</c> body with the given HTTP code.</summary>
public sealed class ApiException : Exception
{
    public ApiException(int code, string reason, string message, string? name = null, string? group = null, string? kind = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Name = name;
        Group = group;
        Kind = kind;
    }

    public ApiException() : this(500, "InternalError", "internal error") { }

    public ApiException(string message) : this(500, "InternalError", message) { }

    public ApiException(string message, Exception inner) : base(message, inner)
    {
        Code = 500;
        Reason = "InternalError";
    }

    public int Code { get; }
    public string Reason { get; }
    public string? Name { get; }
    public string? Group { get; }
    public string? Kind { get; }

    /// <summary>Field-level causes ("spec.x: Required value"); kubectl prints them after "is invalid:".</summary>
    public IReadOnlyList<string> Causes { get; init; } = [];

    /// <summary>A <c>details</c> object given whole, for the Statuses that carry no object identity.</summary>
    public JsonObject? Details { get; init; }

    public static ApiException NotFound(string group, string plural, string name) =>
        new(404, "NotFound", $"{Qualified(plural, group)} \"{name}\" not found", name, group, plural);

    public static ApiException AlreadyExists(string group, string plural, string name) =>
        new(409, "AlreadyExists", $"{Qualified(plural, group)} \"{name}\" already exists", name, group, plural);

    public static ApiException Conflict(string group, string plural, string name) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {Qualified(plural, group)} \"{name}\": the object has been modified; " +
            "please apply your changes to the latest version and try again", name, group, plural);

    public static ApiException Invalid(string group, string kind, string name, string detail) =>
        Invalid(group, kind, name, [detail]);

    public static ApiException Invalid(string group, string kind, string name, IReadOnlyList<string> causes) =>
        new(422, "Invalid",
            $"{(group.Length == 0 ? kind : kind + "." + group)} \"{name}\" is invalid: " +
            (causes.Count == 1 ? causes[0] : "[" + string.Join(", ", causes) + "]"),
            name, group, kind)
        {
            Causes = causes,
        };

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException Gone(string message) => new(410, "Expired", message);

    /// <summary>
    /// The real server's answer to a read or watch from a resourceVersion it has not reached (storage's
    /// TooLargeResourceVersionError): 504 Timeout with the ResourceVersionTooLarge cause that tells
    /// clients (client-go's reflector, KubernetesClient users) to list again without a version.
    /// </summary>
    public static ApiException TooLargeResourceVersion(long requested, long current) =>
        new(504, "Timeout", $"Timeout: Too large resource version: {requested}, current: {current}")
        {
            Details = new JsonObject
            {
                ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ResourceVersionTooLarge", ["message"] = "Too large resource version" }),
                ["retryAfterSeconds"] = 1,
            },
        };

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    private static string Qualified(string plural, string group) => group.Length == 0 ? plural : $"{plural}.{group}";

    private static JsonNode Cause(string text)
    {
        var colon = text.IndexOf(": ", StringComparison.Ordinal);
        var (field, message) = colon > 0 ? (text[..colon], text[(colon + 2)..]) : (string.Empty, text);
        var reason = message.StartsWith("Required", StringComparison.Ordinal) ? "FieldValueRequired"
            : message.StartsWith("Unsupported", StringComparison.Ordinal) ? "FieldValueNotSupported"
            : "FieldValueInvalid";
        return new JsonObject { ["reason"] = reason, ["message"] = message, ["field"] = field };
    }

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
            ["code"] = Code,
        };
        if (Name is not null || Kind is not null)
        {
            var details = new JsonObject();
            if (Name is not null) details["name"] = Name;
            if (Group is not null) details["group"] = Group;
            if (Kind is not null) details["kind"] = Kind;
            if (Causes.Count > 0) details["causes"] = new JsonArray(Causes.Select(Cause).ToArray());
            status["details"] = details;
        }
        if (Details is not null) status["details"] = Details.DeepClone();
        return status;
    }
}
