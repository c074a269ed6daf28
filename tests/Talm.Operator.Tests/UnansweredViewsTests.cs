using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Talm.Operator.Kube;
using Talm.Operator.Reconcile;

namespace Talm.Operator.Tests;

public sealed class UnansweredViewsTests
{
    private static KubeObject View(string ns, string uid, bool answered) => KubeObject.FromJson(JsonDocument.Parse(
        $$"""{"metadata":{"name":"view-precache-namespace","namespace":"{{ns}}","uid":"{{uid}}","resourceVersion":"1"}{{(answered ? ""","status":{"conditions":[{"type":"Processing","status":"True"}]}""" : "")}}}""").RootElement);

    [Fact]
    public void A_CGU_waits_until_RHACM_answered_every_view_it_asked_or_the_reference_would_have_looked_anyway()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T10:00:00Z"));
        var cache = new ObjectCache();
        var views = new UnansweredViews(cache, clock);
        Assert.Null(views.WaitFor("ztp/cgu"));

        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            cache.Upsert(View(c, "u-" + c, answered: false));
            views.Created("ztp/cgu", View(c, "u-" + c, answered: false));
        }
        Assert.Equal(UnansweredViews.Patience, views.WaitFor("ztp/cgu"));
        Assert.Null(views.WaitFor("ztp/other"));

        // One answer is not enough: the other cluster's view would be read unanswered.
        cache.Upsert(View("spoke1", "u-spoke1", answered: true));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(20), views.WaitFor("ztp/cgu"));

        cache.Upsert(View("spoke2", "u-spoke2", answered: true));
        Assert.Null(views.WaitFor("ztp/cgu"));
    }

    [Fact]
    public void An_unanswered_view_holds_no_longer_than_the_reference_s_short_requeue_and_a_replaced_one_not_at_all()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T10:00:00Z"));
        var cache = new ObjectCache();
        var views = new UnansweredViews(cache, clock);
        cache.Upsert(View("spoke1", "u1", answered: false));
        views.Created("ztp/cgu", View("spoke1", "u1", answered: false));
        clock.Advance(UnansweredViews.Patience);
        Assert.Null(views.WaitFor("ztp/cgu"));

        cache.Upsert(View("spoke2", "u2", answered: false));
        views.Created("ztp/cgu", View("spoke2", "u2", answered: false));
        Assert.NotNull(views.WaitFor("ztp/cgu"));
        cache.Upsert(View("spoke2", "u3", answered: false)); // deleted and created again by someone else
        Assert.Null(views.WaitFor("ztp/cgu"));
    }
}
