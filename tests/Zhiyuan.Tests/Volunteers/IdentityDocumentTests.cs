using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Tests.Volunteers;

public sealed class IdentityDocumentTests
{
    static readonly DateOnly Today = new(2026, 11, 28);

    static DocumentProblem ProblemOf(string number, DocumentType type = DocumentType.ResidentId) => IdentityDocument.Check(type, number, Today).Problem;

    [Fact]
    public void AResidentIdWithTheRightCheckCharacterIsAcceptedAndTellsBirthDateAndGender()
    {
        // The GB 11643 standard's own example.
        var (document, problem) = IdentityDocument.Check(DocumentType.ResidentId, "11010519491231002X", Today);
        Assert.Equal(DocumentProblem.None, problem);
        Assert.Equal(new DateOnly(1949, 12, 31), document.BirthDate);
        Assert.Equal(Gender.Female, document.Gender);
        Assert.Equal(Gender.Male, IdentityDocument.Check(DocumentType.ResidentId, People.ResidentId(1990, 123), Today).Document.Gender);
    }

    [Fact]
    public void ALowerCaseXIsAcceptedAndStoredUpperCase()
    {
        var (document, problem) = IdentityDocument.Check(DocumentType.ResidentId, " 11010519491231002x ", Today);
        Assert.Equal(DocumentProblem.None, problem);
        Assert.Equal("11010519491231002X", document.Number);
    }

    [Theory]
    [InlineData("110105194912310021", DocumentProblem.ResidentIdCheck)]
    [InlineData("11010519491231002", DocumentProblem.ResidentIdLength)]
    [InlineData("1101051949123100211", DocumentProblem.ResidentIdLength)]
    [InlineData("11010519491231A02X", DocumentProblem.ResidentIdCharacters)]
    [InlineData("", DocumentProblem.Empty)]
    public void AWrongResidentIdIsRefusedWithItsOwnReason(string number, DocumentProblem expected) =>
        Assert.Equal(expected, ProblemOf(number));

    [Fact]
    public void AnUnknownProvinceAnImpossibleDateAndAFutureDateAreRefused()
    {
        static string WithCheck(string first17) => first17 + IdentityDocument.CheckCharacterOf(first17);
        Assert.Equal(DocumentProblem.ResidentIdProvince, ProblemOf(WithCheck("99120219900101123")));
        Assert.Equal(DocumentProblem.ResidentIdDate, ProblemOf(WithCheck("44120219900230123")));
        Assert.Equal(DocumentProblem.ResidentIdDate, ProblemOf(WithCheck("44120218991231123")));
        Assert.Equal(DocumentProblem.ResidentIdFutureDate, ProblemOf(WithCheck("44120220270101123")));
        Assert.Equal(DocumentProblem.None, ProblemOf(WithCheck("44120220261128123")));
    }

    [Theory]
    [InlineData(DocumentType.HongKongMacauPermit, "H12345678", DocumentProblem.None)]
    [InlineData(DocumentType.HongKongMacauPermit, "m1234567890", DocumentProblem.None)]
    [InlineData(DocumentType.HongKongMacauPermit, "X12345678", DocumentProblem.PermitFormat)]
    [InlineData(DocumentType.TaiwanPermit, "12345678", DocumentProblem.None)]
    [InlineData(DocumentType.TaiwanPermit, "1234567", DocumentProblem.PermitFormat)]
    [InlineData(DocumentType.Passport, "E12345678", DocumentProblem.None)]
    [InlineData(DocumentType.Passport, "E12", DocumentProblem.PassportFormat)]
    [InlineData(DocumentType.Passport, "E1234-5678", DocumentProblem.PassportFormat)]
    public void PermitsAndPassportsGetFormatChecks(DocumentType type, string number, DocumentProblem expected) =>
        Assert.Equal(expected, ProblemOf(number, type));

    [Fact]
    public void NumbersAreMaskedTheWayEveryPageShowsThem()
    {
        Assert.Equal("4412**********1234", PersonalData.MaskDocument("441202199001011234"));
        Assert.Equal("138****5678", PersonalData.MaskPhone("13812345678"));
        Assert.Equal("E1*****78", PersonalData.MaskDocument("E12345678"));
    }

    [Theory]
    [InlineData("2012-11-28", 14)]
    [InlineData("2012-11-29", 13)]
    [InlineData("2008-02-29", 18)]
    public void AgeCountsWholeYears(string birth, int age) => Assert.Equal(age, IdentityDocument.AgeOn(DateOnly.Parse(birth), Today));
}
