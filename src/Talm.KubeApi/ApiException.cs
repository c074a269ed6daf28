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

    public static ApiException NotFound(string group, string plural, string name) =>
        new(404, "NotFound", $"{Qualified(plural, group)} \"{name}\" not found", name, group, plural);

    public static ApiException AlreadyExists(string group, string plural, string name) =>
        new(409, "AlreadyExists", $"{Qualified(plural, group)} \"{name}\" already exists", name, group, plural);

    public static ApiException Conflict(string group, string plural, string name) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {Qualified(plural, group)} \"{name}\": the object has been modified; " +
            "please apply your changes to the latest version and try again", name, group, plural);

    public static ApiException Invalid(string group, string kind, string name, string detail) =>
        new(422, "Invalid", $"{kind}.{group} \"{name}\" is invalid: {detail}".Replace(".\"", "\"", StringComparison.Ordinal), name, group, kind);

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException Gone(string message) => new(410, "Expired", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    private static string Qualified(string plural, string group) => group.Length == 0 ? plural : $"{plural}.{group}";

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
            status["details"] = details;
        }
        return status;
    }
}
