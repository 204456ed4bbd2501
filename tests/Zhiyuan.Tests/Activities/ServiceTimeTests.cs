using Zhiyuan.Web.Hours;

namespace Zhiyuan.Tests.Activities;

/// <summary>How attendance becomes credited minutes (C4), case by case.</summary>
public sealed class ServiceTimeTests
{
    static readonly DateTime Day = new(2019, 3, 5, 1, 0, 0, DateTimeKind.Utc); // 09:00 in China
    static readonly (DateTime, DateTime)[] Nothing = [];

    static DateTime At(double hours) => Day.AddHours(hours);

    [Fact]
    public void ArrivingEarlyCountsFromTheStart() =>
        Assert.Equal(new Credit(At(0), At(3), 180), ServiceTime.Compute(At(-0.5), At(3), At(0), At(3), Nothing));

    [Fact]
    public void LeavingLateCountsToTheEnd() =>
        Assert.Equal(new Credit(At(0), At(3), 180), ServiceTime.Compute(At(0), At(4.25), At(0), At(3), Nothing));

    [Fact]
    public void ArrivingLateAndLeavingEarlyCountsWholeMinutesOnly()
    {
        var credit = ServiceTime.Compute(At(0.5).AddSeconds(20), At(2).AddSeconds(10), At(0), At(3), Nothing);
        Assert.Equal(89, credit!.Value.Minutes); // 89 min 50 s served
    }

    [Fact]
    public void AForgottenCheckOutClosedAtTheEndCountsToTheEnd() =>
        Assert.Equal(150, ServiceTime.Compute(At(0.5), At(3), At(0), At(3), Nothing)!.Value.Minutes);

    [Fact]
    public void ASessionCrossingMidnightCountsAcrossIt()
    {
        // 22:00 to 02:00 China time: four hours, two dates.
        var start = new DateTime(2019, 3, 5, 14, 0, 0, DateTimeKind.Utc);
        Assert.Equal(240, ServiceTime.Compute(start, start.AddHours(4), start, start.AddHours(4), Nothing)!.Value.Minutes);
    }

    [Fact]
    public void TwoSessionsTheSameDayAreCreditedSeparately()
    {
        var morning = ServiceTime.Compute(At(0), At(3), At(0), At(3), Nothing)!.Value;
        var afternoon = ServiceTime.Compute(At(5), At(8), At(5), At(8), [(morning.StartUtc, morning.EndUtc)])!.Value;
        Assert.Equal(180, morning.Minutes);
        Assert.Equal(180, afternoon.Minutes);
    }

    [Fact]
    public void TimeAlreadyCreditedToAnOverlappingActivityIsNotCreditedAgain()
    {
        // Already credited 09:00–11:00 elsewhere; this session 10:00–13:00 credits 11:00–13:00 only.
        Assert.Equal(120, ServiceTime.Compute(At(1), At(4), At(1), At(4), [(At(0), At(2))])!.Value.Minutes);
        // Entirely inside what was credited: nothing.
        Assert.Null(ServiceTime.Compute(At(0.5), At(1.5), At(0.5), At(1.5), [(At(0), At(2))]));
        // A credited stretch in the middle is taken out of the middle.
        Assert.Equal(120, ServiceTime.Compute(At(0), At(3), At(0), At(3), [(At(1), At(2))])!.Value.Minutes);
    }

    [Fact]
    public void CheckOutBeforeTheSessionStartsCreditsNothing() =>
        Assert.Null(ServiceTime.Compute(At(-2), At(-1), At(0), At(3), Nothing));

    [Theory]
    [InlineData("2019-03-01", "2019-03-15")] // a Friday: two full weeks
    [InlineData("2019-03-02", "2019-03-15")] // a Saturday: the weekend does not count
    [InlineData("2019-03-04", "2019-03-18")]
    public void ConfirmationIsDueTenWorkingDaysLater(string served, string due) =>
        Assert.Equal(DateOnly.Parse(due), ServiceTime.ConfirmationDue(DateOnly.Parse(served)));
}
