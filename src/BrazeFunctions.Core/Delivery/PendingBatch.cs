namespace BrazeFunctions.Core.Delivery;

/// <summary>Items waiting to be sent together. Guarded by the batcher's lock.</summary>
internal sealed class PendingBatch(MergeGroup group, DeliveryItem first)
{
    private readonly MergeLoad _load = Loaded(first);

    public MergeGroup Group { get; } = group;

    public DeliveryItem First { get; } = first;

    public List<DeliveryItem> Items { get; } = [first];

    /// <summary>Its send has started (it may still be waiting for budget, and still accept items).</summary>
    public bool Sending { get; set; }

    /// <summary>Its items are taken: nothing joins any more.</summary>
    public bool Closed { get; set; }

    public bool TryAdd(DeliveryItem item, MergeRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (Closed || !rules.Fits(_load, item))
        {
            return false;
        }

        Items.Add(item);
        _load.Add(item);
        return true;
    }

    public bool IsFull(MergeRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return rules.IsFull(_load, First);
    }

    /// <summary>How much of one full request this batch takes (its objects over the cap; 1 sent alone).</summary>
    public double RequestShare(MergeRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return rules.RequestShare(_load, First);
    }

    private static MergeLoad Loaded(DeliveryItem item)
    {
        var load = new MergeLoad();
        load.Add(item);
        return load;
    }
}
