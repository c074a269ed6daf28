using System.Text.Json.Nodes;
using Talm.Lab.Hub;

namespace Talm.Lab.Spokes;

/// <summary>
/// A managed cluster as RHACM sees it: a small object store (namespaces, service accounts, role
/// bindings, config maps, Jobs) that actions change and views read, a Job runner with the Kubernetes
/// Job semantics the hub relies on (activeDeadlineSeconds, backoffLimit), and policy compliance.
/// What a Job or an upgrade actually does is left to the fidelity (fast timing model or real host).
/// </summary>
public abstract class SimulatedSpoke : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<SpokeObjectKey, JsonObject> _objects = [];
    private readonly Dictionary<SpokeObjectKey, CancellationTokenSource> _jobs = [];
    private readonly Dictionary<string, SpokeUpgradeState> _policies = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _life = new();
    private readonly List<Task> _running = [];

    protected SimulatedSpoke(string name, SpokeFaults faults, TimeProvider time)
    {
        Name = name;
        Faults = faults;
        Time = time;
    }

    public string Name { get; }

    public SpokeFaults Faults { get; }

    protected TimeProvider Time { get; }

    public bool Reachable => !Faults.Unreachable;

    public BackupRecord? LastBackup { get; protected set; }

    /// <summary>Raised (outside any lock) when an object on the spoke appeared, changed or went away.</summary>
    public event Action<SimulatedSpoke, SpokeObjectKey>? ObjectChanged;

    /// <summary>Raised when the spoke's compliance with some policy may have changed.</summary>
    public event Action<SimulatedSpoke>? ComplianceChanged;

    public JsonObject? Get(SpokeObjectKey key)
    {
        lock (_gate)
            return _objects.TryGetValue(key, out var o) ? (JsonObject)o.DeepClone() : null;
    }

    /// <summary>Creates an object from an action's template; an existing object is left as it is.</summary>
    public void Create(string resource, string? ns, JsonObject template)
    {
        var obj = (JsonObject)template.DeepClone();
        var meta = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = meta;
        var name = Json.Str(meta, "name") ?? "";
        var key = SpokeObjectKey.Of(resource, ns ?? Json.Str(meta, "namespace"), name);
        if (key.Namespace.Length > 0) meta["namespace"] = key.Namespace;
        meta["creationTimestamp"] = Json.Timestamp(Time.GetUtcNow());
        meta["uid"] = Guid.NewGuid().ToString();
        lock (_gate)
        {
            if (_objects.ContainsKey(key)) return;
            if (key.Namespace.Length > 0 && !_objects.ContainsKey(new SpokeObjectKey(SpokeResource.Namespace, "", key.Namespace)))
                throw new InvalidOperationException($"namespaces \"{key.Namespace}\" not found");
            _objects[key] = obj;
            if (key.Resource == SpokeResource.Job)
                StartJobLocked(key, obj);
        }
        ObjectChanged?.Invoke(this, key);
    }

    /// <summary>Deletes an object (a namespace takes its contents with it); false when it was not there.</summary>
    public bool Delete(string resource, string? ns, string name)
    {
        var key = SpokeObjectKey.Of(resource, ns, name);
        List<SpokeObjectKey> gone = [];
        lock (_gate)
        {
            if (!_objects.Remove(key)) return false;
            gone.Add(key);
            if (key.Resource == SpokeResource.Namespace)
            {
                foreach (var inside in _objects.Keys.Where(k => k.Namespace == key.Name).ToList())
                {
                    _objects.Remove(inside);
                    gone.Add(inside);
                }
            }
            foreach (var k in gone)
            {
                if (_jobs.Remove(k, out var cts)) cts.Cancel();
            }
        }
        foreach (var k in gone) ObjectChanged?.Invoke(this, k);
        return true;
    }

    /// <summary>
    /// A JSON merge patch of a Job's metadata annotations, as the spoke's API server applies one from the
    /// Job's own pod (the backup agent publishing its summary). False when the Job is gone. Without
    /// <paramref name="notify"/> the views see it with the Job's next change (a fast spoke's summary and
    /// status arrive together, and 10,000 spokes are not made to refresh their views twice).
    /// </summary>
    protected bool PatchJobAnnotations(JsonObject job, JsonObject annotations, bool notify = true)
    {
        var key = SpokeObjectKey.Of(SpokeResource.Job, Json.Namespace(job), Json.Name(job));
        lock (_gate)
        {
            if (!_objects.TryGetValue(key, out var current)) return false;
            var meta = current["metadata"] as JsonObject ?? new JsonObject();
            current["metadata"] = meta;
            var existing = meta["annotations"] as JsonObject ?? new JsonObject();
            meta["annotations"] = existing;
            foreach (var (name, value) in annotations)
            {
                if (value is null) existing.Remove(name);
                else existing[name] = value.DeepClone();
            }
        }
        if (notify) ObjectChanged?.Invoke(this, key);
        return true;
    }

    public bool IsCompliant(string policy)
    {
        lock (_gate)
            return _policies.TryGetValue(policy, out var s) && s == SpokeUpgradeState.Upgraded;
    }

    public SpokeUpgradeState UpgradeState(string policy)
    {
        lock (_gate)
            return _policies.TryGetValue(policy, out var s) ? s : SpokeUpgradeState.NotStarted;
    }

    /// <summary>Marks a policy as already satisfied (a spoke that is up to date from the start).</summary>
    public void MarkCompliant(string policy)
    {
        lock (_gate) _policies[policy] = SpokeUpgradeState.Upgraded;
    }

    /// <summary>The policy is now enforced on this spoke: remediate once, in the background.</summary>
    public void Enforce(string policy)
    {
        lock (_gate)
        {
            if (_policies.TryGetValue(policy, out var s) && s != SpokeUpgradeState.NotStarted) return;
            _policies[policy] = SpokeUpgradeState.Upgrading;
            Track(RemediateInBackground(policy));
        }
        ComplianceChanged?.Invoke(this);
    }

    private async Task RemediateInBackground(string policy)
    {
        await Task.Yield();
        bool ok;
        try
        {
            ok = await RemediateAsync(policy, _life.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception e)
        {
            OnBackgroundError($"upgrade for {policy}", e);
            ok = false;
        }
        lock (_gate) _policies[policy] = ok ? SpokeUpgradeState.Upgraded : SpokeUpgradeState.Broken;
        ComplianceChanged?.Invoke(this);
    }

    /// <summary>Carries out the policy on the spoke; true when the spoke is then compliant.</summary>
    protected abstract Task<bool> RemediateAsync(string policy, CancellationToken ct);

    /// <summary>Runs one attempt of a Job's pod; returns the exit code.</summary>
    protected abstract Task<int> RunJobPodAsync(JsonObject job, CancellationToken ct);

    protected virtual void OnBackgroundError(string what, Exception e)
    {
    }

    private void StartJobLocked(SpokeObjectKey key, JsonObject job)
    {
        var now = Time.GetUtcNow();
        job["status"] = new JsonObject { ["active"] = 1, ["startTime"] = Json.Timestamp(now) };
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_life.Token);
        _jobs[key] = cts;
        Track(RunJob(key, (JsonObject)job.DeepClone(), cts));
    }

    private async Task RunJob(SpokeObjectKey key, JsonObject job, CancellationTokenSource cts)
    {
        await Task.Yield();
        var started = Time.GetUtcNow();
        var deadlineSeconds = Json.Long(job, "spec", "activeDeadlineSeconds");
        var backoffLimit = Json.Long(job, "spec", "backoffLimit") ?? 6;
        using var deadline = deadlineSeconds is { } s
            ? new CancellationTokenSource(TimeSpan.FromSeconds(s), Time)
            : new CancellationTokenSource();
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cts.Token, deadline.Token);
        JsonObject status;
        var failed = 0;
        while (true)
        {
            int exit;
            try
            {
                exit = await RunJobPodAsync(job, run.Token);
            }
            catch (Exception e) when ((e is OperationCanceledException && deadline.IsCancellationRequested && !cts.IsCancellationRequested) || e is JobDeadlineExceededException)
            {
                status = Finished(started, failed: failed + 1, "Failed", "DeadlineExceeded", "Job was active longer than specified deadline");
                break;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                OnBackgroundError($"job {key.Namespace}/{key.Name}", e);
                exit = 1;
            }
            if (exit == 0)
            {
                status = Finished(started, failed, "Complete", null, null);
                status["succeeded"] = 1;
                break;
            }
            failed++;
            if (failed > backoffLimit)
            {
                status = Finished(started, failed, "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
                break;
            }
        }
        lock (_gate)
        {
            if (!_jobs.Remove(key) || !_objects.TryGetValue(key, out var current)) return;
            current["status"] = status;
        }
        cts.Dispose();
        ObjectChanged?.Invoke(this, key);
    }

    private JsonObject Finished(DateTimeOffset started, int failed, string type, string? reason, string? message)
    {
        var now = Time.GetUtcNow();
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = "True",
            ["lastProbeTime"] = Json.Timestamp(now),
            ["lastTransitionTime"] = Json.Timestamp(now),
        };
        if (reason is not null) condition["reason"] = reason;
        if (message is not null) condition["message"] = message;
        var status = new JsonObject
        {
            ["startTime"] = Json.Timestamp(started),
            ["conditions"] = new JsonArray(condition),
        };
        if (failed > 0) status["failed"] = failed;
        if (type == "Complete") status["completionTime"] = Json.Timestamp(now);
        return status;
    }

    private void Track(Task task)
    {
        lock (_running)
        {
            _running.RemoveAll(t => t.IsCompleted);
            _running.Add(task);
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        await _life.CancelAsync();
        Task[] running;
        lock (_running) running = [.. _running];
        try
        {
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }
        _life.Dispose();
        GC.SuppressFinalize(this);
    }
}
