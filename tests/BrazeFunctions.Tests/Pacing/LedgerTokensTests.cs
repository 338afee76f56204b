using BrazeFunctions.Core.Pacing;

namespace BrazeFunctions.Tests.Pacing;

public sealed class LedgerTokensTests
{
    private readonly LedgerTokens _ledger = new();

    [Fact]
    public void TryTake_TokensOfAnotherWindow_AreNotSpent()
    {
        _ledger.Add(100, 2);

        Assert.False(_ledger.TryTake(103));
        Assert.True(_ledger.TryTake(100));
        Assert.True(_ledger.TryTake(100));
        Assert.False(_ledger.TryTake(100));
    }

    [Fact]
    public void Add_NewWindow_ForgetsTheOldWindowsTokens()
    {
        _ledger.Add(100, 5);
        _ledger.Add(103, 1);

        Assert.Equal((0, 1, 1L), (_ledger.Tokens(100), _ledger.Tokens(103), _ledger.ClaimedIn(103)));
    }

    [Fact]
    public void GiveBack_OnlyToItsOwnWindow()
    {
        _ledger.Add(100, 1);
        _ledger.TryTake(100);

        _ledger.GiveBack(97);
        _ledger.GiveBack(100);

        Assert.Equal(1, _ledger.Tokens(100));
    }

    [Fact]
    public void CountUnledgered_PerWindow_AndCountedTakesOffWhatTheLedgerAdded()
    {
        _ledger.CountUnledgered(100);
        _ledger.CountUnledgered(100);
        _ledger.CountUnledgered(97);
        Assert.Equal(2, _ledger.UnledgeredIn(100));

        _ledger.CountUnledgered(103);
        Assert.Equal((0, 1), (_ledger.UnledgeredIn(100), _ledger.UnledgeredIn(103)));

        _ledger.Counted(103, 1);
        Assert.Equal(0, _ledger.Unledgered);
    }
}
