using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Delivery;

public sealed class UsersTrackCapsTests
{
    [Fact]
    public void For_AWorkspaceWithItsOwnCap_UsesItElseTheGlobalOne()
    {
        var caps = Caps(new BrazeRequestLimits { MaxUsersTrackObjects = 75 }, ("small", 50));

        Assert.Equal((75, 50), (caps.For("default"), caps.For("small")));
    }

    [Fact]
    public void Halve_AfterMaxInputLengthExceeded_LowersOnlyThatWorkspaceAndNeverBelowOne()
    {
        var caps = Caps(new BrazeRequestLimits { MaxUsersTrackObjects = 75 }, ("small", 50));

        Assert.Equal(37, caps.Halve("default", observedObjects: 75));
        Assert.Equal(10, caps.Halve("default", observedObjects: 20));
        Assert.Equal(50, caps.For("small"));
        for (var i = 0; i < 10; i++)
        {
            caps.Halve("default", observedObjects: 1);
        }

        Assert.Equal(1, caps.For("default"));
    }

    [Fact]
    public void ListCap_TriggersTakeTheRecipientSettingIdentifyAndSubscriptionBrazesFifty()
    {
        var caps = Caps(new BrazeRequestLimits { MaxTriggerRecipients = 20 });

        Assert.Equal(20, caps.ListCap(MergeKind.Recipients));
        Assert.Equal(50, caps.ListCap(MergeKind.IdentifyAliases));
        Assert.Equal(50, caps.ListCap(MergeKind.SubscriptionUsers));
    }

    private static UsersTrackCaps Caps(BrazeRequestLimits limits, params (string Name, int Cap)[] workspaces)
    {
        var braze = new BrazeOptions { RestEndpoint = new Uri("https://rest.fra-01.braze.eu"), ApiKey = "key" };
        foreach (var (name, cap) in workspaces)
        {
            braze.Workspaces[name] = new BrazeWorkspaceOptions { RestEndpoint = new Uri("https://rest.fra-02.braze.eu"), ApiKey = "key-" + name, MaxUsersTrackObjects = cap };
        }

        return new UsersTrackCaps(Options.Create(limits), new BrazeWorkspaces(Options.Create(braze)));
    }
}
