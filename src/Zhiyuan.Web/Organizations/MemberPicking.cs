using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Organizations;

/// <summary>Someone to pick, as an administrator may see them: number, name and the masked mobile, nothing more.</summary>
public sealed record PickableVolunteer(string Number, string Name, string Mobile);

/// <summary>What a search found: how many in all, the first few, and a sentence saying so.</summary>
public sealed record PickablePage(int Total, List<PickableVolunteer> Items, string Summary);

/// <summary>
/// Where the member picker (<see cref="MemberPicker"/>) finds people: an organisation's approved members
/// (assigning an order, building a patrol team, making an administrator), or the volunteers of the
/// caller's unit subtree (nominating). A search matches the name, the volunteer number, or the last
/// digits of the mobile; only those who may see the people get an answer (null otherwise).
/// </summary>
public sealed class MemberPicking(AppDbContext db, OrganizationUseCases organizations, IStringLocalizer<SharedResource> text)
{
    /// <summary>How many a picker shows at once; a search narrows them.</summary>
    public const int Shown = 30;

    public async Task<PickablePage?> SearchAsync(ClaimsPrincipal principal, Guid? organizationId, string? query, CancellationToken cancellationToken = default)
    {
        var people = await SourceAsync(principal, organizationId, cancellationToken);
        if (people is null)
        {
            return null;
        }
        var found = Matching(people, query);
        var total = await found.CountAsync(cancellationToken);
        var items = await View(found.OrderBy(v => v.Name).ThenBy(v => v.Number)).Take(Shown).ToListAsync(cancellationToken);
        var q = (query ?? "").Trim();
        var summary = total == 0
            ? text[q.Length == 0 ? (organizationId is null ? "Picker.NoneInScope" : "Picker.NoMembers") : "Picker.NoneFound"].Value
            : total > items.Count ? text["Picker.SomeShown", total, items.Count].Value : text["Picker.AllShown", total].Value;
        return new PickablePage(total, items, summary);
    }

    /// <summary>The chosen numbers that are in the picker's source, to show them ticked (numbers found nowhere are left to the typed field).</summary>
    public async Task<List<PickableVolunteer>> NamedAsync(ClaimsPrincipal principal, Guid? organizationId, IReadOnlyCollection<string> numbers, CancellationToken cancellationToken = default)
    {
        var people = numbers.Count == 0 ? null : await SourceAsync(principal, organizationId, cancellationToken);
        if (people is null)
        {
            return [];
        }
        var wanted = numbers.Take(50).ToArray();
        var found = await View(people.Where(v => wanted.Contains(v.Number))).ToListAsync(cancellationToken);
        return wanted.Select(n => found.FirstOrDefault(f => f.Number == n)).OfType<PickableVolunteer>().ToList();
    }

    async Task<IQueryable<Volunteer>?> SourceAsync(ClaimsPrincipal principal, Guid? organizationId, CancellationToken cancellationToken)
    {
        if (organizationId is { } id)
        {
            return await organizations.CanManageAsync(principal, id, cancellationToken)
                ? db.Volunteers.Where(v => db.Memberships.Any(m => m.VolunteerId == v.Id && m.OrganizationId == id && m.Status == MembershipStatus.Approved))
                : null;
        }
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        return scope is null ? null : db.Volunteers.Where(v => v.Unit!.Path.StartsWith(scope.RootPath));
    }

    /// <summary>
    /// The volunteers a search finds: "ZY…" the numbers that begin so; digits the numbers that contain
    /// them and, up to four, the mobiles that end with them; anything else the names that contain it.
    /// </summary>
    public static IQueryable<Volunteer> Matching(IQueryable<Volunteer> volunteers, string? query)
    {
        var q = (query ?? "").Trim();
        if (q.Length == 0)
        {
            return volunteers;
        }
        if (q.All(char.IsAsciiDigit))
        {
            return q.Length <= 4
                ? volunteers.Where(v => v.PhoneLast4.EndsWith(q) || v.Number.Contains(q))
                : volunteers.Where(v => v.Number.Contains(q));
        }
        if (q.Length > 2 && q.StartsWith("ZY", StringComparison.OrdinalIgnoreCase) && q[2..].All(char.IsAsciiDigit))
        {
            var number = q.ToUpperInvariant();
            return volunteers.Where(v => v.Number.StartsWith(number));
        }
        return volunteers.Where(v => v.Name.Contains(q));
    }

    static IQueryable<PickableVolunteer> View(IQueryable<Volunteer> volunteers) =>
        volunteers.AsNoTracking().Select(v => new PickableVolunteer(v.Number, v.Name, v.PhoneMasked));

    /// <summary>The numbers a picker's form sent for a field: the boxes ticked and whatever was typed, each once, in order.</summary>
    public static string[] Chosen(IFormCollection form, string field) =>
        form[field].SelectMany(v => (v ?? "").Split([',', '，', '、', ' ', ';', '；', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(n => n.ToUpperInvariant()).Distinct().ToArray();
}
