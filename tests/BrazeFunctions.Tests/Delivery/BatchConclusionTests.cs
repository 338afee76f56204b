using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Pacing;
using BrazeFunctions.Tests.Pacing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static BrazeFunctions.Tests.Delivery.DeliveryItems;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>What a group's final answer means for each item; every wait comes from the pacer, none from here.</summary>
public sealed class BatchConclusionTests
{
    private readonly UsersTrackCaps _caps = new(Options.Create(new BrazeRequestLimits()), new BrazeWorkspaces(Options.Create(new BrazeOptions { RestEndpoint = Workspace.RestEndpoint, ApiKey = "key" })));
    private readonly Queue<SendGroup> _groups = new();

    [Fact]
    public void Conclude_PacerRefusedAfterA429_EveryItemWaitsForTheRefusalsTimeAndKeepsThe429()
    {
        var (state, items) = Group(2);
        state.LastResponse = Answer(429);
        var refusal = PaceLease.Refused(BatchSender.PaceRequestOf(items[0]), TimeSpan.FromSeconds(7), PaceReason.RateLimited);

        Conclude(state, new RequestAttempt(state, null, null, RetryInPlace: false) { Refusal = refusal });

        Assert.All(items, i => Assert.Equal(new DeliveryReport.RateLimited(TimeSpan.FromSeconds(7), state.LastResponse), ReportOf(i)));
    }

    [Fact]
    public void Conclude_PacerRefusedForACredentialPause_ItemsAreCredentialPaused()
    {
        var (state, items) = Group(1);
        var refusal = PaceLease.Refused(BatchSender.PaceRequestOf(items[0]), TimeSpan.FromMinutes(5), PaceReason.Credential);

        Conclude(state, new RequestAttempt(state, null, null, RetryInPlace: false) { Refusal = refusal });

        Assert.Equal(new DeliveryReport.CredentialPaused(TimeSpan.FromMinutes(5), null), ReportOf(items[0]));
    }

    [Theory]
    [InlineData(429)]
    [InlineData(401)]
    [InlineData(403)]
    public void Conclude_ClosedByBraze_EveryItemWaitsForWhatThePacerSaid(int status)
    {
        var (state, items) = Group(2);
        var response = Answer(status);

        Conclude(state, new RequestAttempt(state, response, RequestMerger.Merge(items), RetryInPlace: false) { ClosedFor = TimeSpan.FromSeconds(42) });

        DeliveryReport expected = status == 429 ? new DeliveryReport.RateLimited(TimeSpan.FromSeconds(42), response) : new DeliveryReport.CredentialPaused(TimeSpan.FromSeconds(42), response);
        Assert.All(items, i => Assert.Equal(expected, ReportOf(i)));
    }

    [Fact]
    public void Conclude_2xxWithPartialErrors_EachItemGetsItsOwnAndAWhollyRefusedOneIsSaidSo()
    {
        var (state, items) = Group(2);
        var response = Answer(201, errors: [new BrazePartialError("invalid", "attributes", 1)]);

        Conclude(state, new RequestAttempt(state, response, RequestMerger.Merge(items), RetryInPlace: false));

        Assert.Equal(new DeliveryReport.Accepted(response, [], false), ReportOf(items[0]), new AcceptedComparer());
        var second = Assert.IsType<DeliveryReport.Accepted>(ReportOf(items[1]));
        Assert.True(second.AllObjectsRefused);
        Assert.Equal(0, Assert.Single(second.Errors).Index);
    }

    [Fact]
    public void Conclude_RefusedMergeNamingOneItem_RefusesItAndSendsTheRestOnce()
    {
        var (state, items) = Group(3);
        var response = Answer(400, errors: [new BrazePartialError("invalid", "attributes", 2)]);

        var extra = Conclude(state, new RequestAttempt(state, response, RequestMerger.Merge(items), RetryInPlace: false));

        Assert.Equal(1, extra);
        Assert.IsType<DeliveryReport.Refused>(ReportOf(items[2]));
        var resend = Assert.Single(_groups);
        Assert.Equal(items.Take(2), resend.Items);
        Assert.True(resend.ResentAfterNamedErrors);
    }

    [Fact]
    public void Conclude_MaxInputLengthExceeded_HalvesTheWorkspacesCapAndSplits()
    {
        var (state, items) = Group(4);
        var response = Answer(400, message: "Max Input Length Exceeded");

        var extra = Conclude(state, new RequestAttempt(state, response, RequestMerger.Merge(items), RetryInPlace: false));

        Assert.Equal(2, extra);
        Assert.Equal(2, _caps.For(Workspace.Name));
        Assert.Equal([2, 2], _groups.Select(g => g.Items.Count));
    }

    [Fact]
    public void Conclude_RefusedWithoutNamesAndNoSplitsLeft_HandsTheItemsBackToBeSentAlone()
    {
        var (state, items) = Group(2);
        var response = Answer(400, message: "Invalid request");

        Conclude(state, new RequestAttempt(state, response, RequestMerger.Merge(items), RetryInPlace: false), extraSoFar: 8);

        Assert.All(items, i => Assert.Equal(new DeliveryReport.SplitUnresolved(response), ReportOf(i)));
    }

    /// <summary>The item's report, which Conclude gives synchronously.</summary>
    private static DeliveryReport ReportOf(DeliveryItem item)
    {
        Assert.True(item.Report.IsCompletedSuccessfully, "the item has no report yet");
        return item.Report.GetAwaiter().GetResult();
    }

    private int Conclude(AttemptState state, RequestAttempt attempt, int extraSoFar = 0) =>
        new BatchConclusion(_caps, Options.Create(new CoalescingOptions()), PacingKit.Metrics(), NullLogger<BatchConclusion>.Instance).Conclude(state, attempt, _groups, extraSoFar);

    private static (AttemptState State, List<DeliveryItem> Items) Group(int count)
    {
        var items = Enumerable.Range(0, count).Select(i => Item($"{{\"attributes\":[{{\"external_id\":\"u{i}\",\"plan\":\"gold\"}}]}}", secondsAfterStart: i)).ToList();
        return (new AttemptState(new SendGroup(items, null, ResentAfterNamedErrors: false), default), items);
    }

    private static BrazeResponse Answer(int status, string? message = null, IReadOnlyList<BrazePartialError>? errors = null) =>
        new(BrazeEndpoints.UsersTrack, status, BrazeResponse.Classify(status), RateLimitInfo.None, message, errors ?? [], TimeSpan.Zero, null);

    private sealed class AcceptedComparer : IEqualityComparer<DeliveryReport>
    {
        public bool Equals(DeliveryReport? x, DeliveryReport? y) =>
            x is DeliveryReport.Accepted a && y is DeliveryReport.Accepted b && a.Response == b.Response && a.Errors.SequenceEqual(b.Errors) && a.AllObjectsRefused == b.AllObjectsRefused;

        public int GetHashCode(DeliveryReport obj) => 0;
    }
}
