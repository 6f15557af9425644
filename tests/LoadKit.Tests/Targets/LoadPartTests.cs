using LoadKit.Targets;

namespace LoadKit.Tests.Targets;

/// <summary>A segment, and parts of it cut further as shares move.</summary>
public class LoadPartTests
{
    [Test]
    public void Cut_PartsOfAPart_OwnExactlyItsUnitsAndReadLastCutFirst()
    {
        var segment = LoadSegments.Equal(4).Segment(1);
        var part = segment.Cut(2, 3);

        var subParts = Enumerable.Range(0, 2).Select(i => part.Cut(i, 2)).ToArray();

        Assert.That((segment.ToString(), part.ToString(), subParts[0].ToString()),
            Is.EqualTo(("segment 2 of 4 (1/4, 1/2]", "part 3 of 3 of segment 2", "part 1 of 2 of part 3 of 3 of segment 2")));
        Assert.That(subParts[1].Cuts, Is.EqualTo(new[] { new LoadCut(2, 3), new LoadCut(1, 2) }));
        Assert.That(subParts[1].Segment, Is.EqualTo(1));
        foreach (var units in new long[] { 0, 1, 7, 120, 1001 })
        {
            Assert.That(subParts.Sum(p => p.Share.CountOwned(units)), Is.EqualTo(part.Share.CountOwned(units)), $"{units} units");
        }

        Assert.That(Enumerable.Range(0, 1000).Where(i => part.Share.Owns(i)), Is.EqualTo(Enumerable.Range(0, 1000).Where(i => subParts.Any(p => p.Share.Owns(i)))));
    }

    [TestCase(2, 2, "part")]
    [TestCase(-1, 2, "part")]
    [TestCase(0, 0, "parts")]
    public void Cut_APartOutOfRange_NamesItAndWhatIsAllowed(int part, int parts, string parameter)
    {
        var segment = LoadSegments.Equal(2).Segment(1);

        Assert.That(() => segment.Cut(part, parts), Throws.TypeOf<ArgumentOutOfRangeException>()
            .With.Property(nameof(ArgumentException.ParamName)).EqualTo(parameter)
            .And.Message.StartWith($"cut = part {part} of {parts} of segment 2 of 2 (1/2, 1]: allowed a part 0 to count - 1 of a count from 1."));
    }

    [Test]
    public void Segment_OutsideTheSegments_NamesWhatIsAllowed()
    {
        Assert.That(() => LoadSegments.Equal(2).Segment(2), Throws.TypeOf<ArgumentOutOfRangeException>()
            .With.Message.StartWith("segment index = 2: allowed 0 to 1 for segments 0,1/2,1."));
    }
}
