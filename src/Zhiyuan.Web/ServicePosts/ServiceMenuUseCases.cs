using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.ServicePosts;

public sealed record CreatePostRequest(Guid? HostOrganizationId, string? Name, string? Place, string? OpeningHours);

public sealed record PostView(Guid Id, string Name, string Place, string OpeningHours, Guid HostOrganizationId, string HostName);

public sealed record SlotRequest(DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, int? Capacity);

/// <param name="AreaUnitCode">The city (441200) or one district or county the service covers.</param>
public sealed record CreateMenuRequest(Guid? HostOrganizationId, Guid? PostId, string? Title, string? Description, ServiceLines? ServiceLine, ServiceMode? Mode,
    string? AreaUnitCode, bool Publish, SlotRequest[]? Slots);

public sealed record SlotView(Guid Id, DateTime StartsAtUtc, DateTime EndsAtUtc, int Capacity, int Booked)
{
    public int PlacesLeft => Math.Max(0, Capacity - Booked);
}

public sealed record MenuView(Guid Id, string Title, string Description, Guid HostOrganizationId, string HostName, string? PostName, string? PostPlace, string? OpeningHours,
    ServiceLines ServiceLine, ServiceMode Mode, string AreaCode, string AreaName, bool IsPublished, List<SlotView> Slots);

/// <summary>Service posts and the service menu (志愿服务清单) organisations publish.</summary>
public sealed class ServiceMenuUseCases(
    AppDbContext db,
    AuditLog audit,
    OrganizationUseCases organizations,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    public const int MaxSlots = 60;

    public async Task<Outcome<PostView>> CreatePostAsync(ClaimsPrincipal principal, CreatePostRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var host = await HostAsync(principal, request.HostOrganizationId, errors, cancellationToken);
        var name = Text.Required(errors, text, "name", request.Name, "Posts.Field.Name", ServicePost.NameMaxLength);
        var place = Text.Required(errors, text, "place", request.Place, "Posts.Field.Place", ServicePost.TextMaxLength);
        var hours = Text.Required(errors, text, "openingHours", request.OpeningHours, "Posts.Field.OpeningHours", ServicePost.TextMaxLength);
        if (errors.Any)
        {
            return Outcome<PostView>.Invalid(errors);
        }
        var post = new ServicePost { Name = name, Place = place, OpeningHours = hours, HostOrganizationId = host!.Id, UnitId = host.UnitId, CreatedAtUtc = time.GetUtcNow().UtcDateTime };
        db.ServicePosts.Add(post);
        audit.Add("post.create", host.UnitId, name, place);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<PostView>.Ok(new PostView(post.Id, name, place, hours, host.Id, host.Name));
    }

    public async Task<List<PostView>> PostsAsync(CancellationToken cancellationToken = default) =>
        await db.ServicePosts.AsNoTracking().OrderBy(p => p.Name)
            .Select(p => new PostView(p.Id, p.Name, p.Place, p.OpeningHours, p.HostOrganizationId, p.HostOrganization!.Name)).ToListAsync(cancellationToken);

    public async Task<Outcome<MenuView>> CreateMenuAsync(ClaimsPrincipal principal, CreateMenuRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var host = await HostAsync(principal, request.HostOrganizationId, errors, cancellationToken);
        ServicePost? post = null;
        if (request.PostId is { } postId)
        {
            post = await db.ServicePosts.AsNoTracking().SingleOrDefaultAsync(p => p.Id == postId && p.HostOrganizationId == request.HostOrganizationId, cancellationToken);
            if (post is null)
            {
                errors.Add("postId", text["Menus.Error.Post"]);
            }
        }
        var title = Text.Required(errors, text, "title", request.Title, "Menus.Field.Title", ServiceMenu.TitleMaxLength);
        var description = Text.Optional(errors, text, "description", request.Description, "Menus.Field.Description", ServiceMenu.TextMaxLength);
        if (request.ServiceLine is not { } line || !ServiceLineList.All.Contains(line))
        {
            errors.Add("serviceLine", text["Activities.Error.ServiceLine"]);
        }
        if (request.Mode is not { } mode || !Enum.IsDefined(mode))
        {
            errors.Add("mode", text["Menus.Error.Mode"]);
        }
        var area = await Areas(db).SingleOrDefaultAsync(u => u.Code == (request.AreaUnitCode ?? "").Trim(), cancellationToken);
        if (area is null)
        {
            errors.Add("areaUnitCode", text["Menus.Error.Area"]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var slots = new List<ServiceSlot>();
        if ((request.Slots?.Length ?? 0) > MaxSlots)
        {
            errors.Add("slots", text["Activities.Error.TooManySessions", MaxSlots]);
        }
        foreach (var (slot, i) in (request.Slots ?? []).Take(MaxSlots).Select((s, i) => (s, i)))
        {
            if (slot.StartsAt is not { } start || slot.EndsAt is not { } end || end <= start)
            {
                errors.Add($"slots[{i}].endsAt", text["Activities.Error.EndBeforeStart"]);
            }
            else if (start.UtcDateTime < now)
            {
                errors.Add($"slots[{i}].startsAt", text["Menus.Error.SlotPast"]);
            }
            else if (end - start > TimeSpan.FromHours(12))
            {
                errors.Add($"slots[{i}].endsAt", text["Activities.Error.SessionTooLong"]);
            }
            if (slot.Capacity is not (> 0 and <= 1000))
            {
                errors.Add($"slots[{i}].capacity", text["Activities.Error.Capacity", 1000]);
            }
            if (slot.StartsAt is { } s && slot.EndsAt is { } e && slot.Capacity is { } c)
            {
                slots.Add(new ServiceSlot { StartsAtUtc = s.UtcDateTime, EndsAtUtc = e.UtcDateTime, Capacity = c });
            }
        }
        if (errors.Any)
        {
            return Outcome<MenuView>.Invalid(errors);
        }
        var menu = new ServiceMenu
        {
            Title = title, Description = description, HostOrganizationId = host!.Id, PostId = post?.Id, UnitId = host.UnitId, ServiceLine = request.ServiceLine!.Value,
            Mode = request.Mode!.Value, AreaUnitId = area!.Id, IsPublished = request.Publish, CreatedAtUtc = now, Slots = slots,
        };
        db.ServiceMenus.Add(menu);
        audit.Add("menu.create", host.UnitId, title, $"{menu.Mode} · {area.Name}");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<MenuView>.Ok((await GetAsync(menu.Id, includeUnpublished: true, cancellationToken))!);
    }

    /// <summary>Publishes or withdraws a menu.</summary>
    public async Task<Outcome<MenuView>> PublishAsync(ClaimsPrincipal principal, Guid id, bool publish, CancellationToken cancellationToken = default)
    {
        var managed = await organizations.ManagedQueryAsync(principal, cancellationToken);
        var menu = await db.ServiceMenus.SingleOrDefaultAsync(m => m.Id == id && managed.Any(o => o.Id == m.HostOrganizationId), cancellationToken);
        if (menu is null)
        {
            return Outcome<MenuView>.NotFound();
        }
        menu.IsPublished = publish;
        audit.Add(publish ? "menu.publish" : "menu.withdraw", menu.UnitId, menu.Title);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<MenuView>.Ok((await GetAsync(id, includeUnpublished: true, cancellationToken))!);
    }

    /// <summary>The public service menu: published lines, optionally of one mode or matching a word.</summary>
    public async Task<List<MenuView>> ListAsync(ServiceMode? mode = null, string? q = null, CancellationToken cancellationToken = default)
    {
        var menus = db.ServiceMenus.AsNoTracking().Where(m => m.IsPublished);
        if (mode is { } m)
        {
            menus = menus.Where(x => x.Mode == m);
        }
        if (!string.IsNullOrWhiteSpace(q))
        {
            var word = q.Trim();
            menus = menus.Where(x => x.Title.Contains(word) || x.HostOrganization!.Name.Contains(word) || x.Description.Contains(word));
        }
        var ids = await menus.OrderBy(x => x.Title).Select(x => x.Id).Take(200).ToListAsync(cancellationToken);
        return await ViewsAsync(ids, cancellationToken);
    }

    /// <summary>The menus of the organisations the caller manages, published or not.</summary>
    public async Task<List<MenuView>> ManagedAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var managed = await organizations.ManagedQueryAsync(principal, cancellationToken);
        var ids = await db.ServiceMenus.AsNoTracking().Where(m => managed.Any(o => o.Id == m.HostOrganizationId)).OrderBy(m => m.Title).Select(m => m.Id).Take(200).ToListAsync(cancellationToken);
        return await ViewsAsync(ids, cancellationToken);
    }

    public async Task<MenuView?> GetAsync(Guid id, bool includeUnpublished = false, CancellationToken cancellationToken = default)
    {
        var views = await ViewsAsync([id], cancellationToken);
        return views.FirstOrDefault(v => includeUnpublished || v.IsPublished);
    }

    async Task<List<MenuView>> ViewsAsync(List<Guid> ids, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var rows = await db.ServiceMenus.AsNoTracking().Where(m => ids.Contains(m.Id))
            .Select(m => new
            {
                m.Id, m.Title, m.Description, m.HostOrganizationId, Host = m.HostOrganization!.Name, PostName = m.Post!.Name, PostPlace = m.Post.Place, m.Post.OpeningHours,
                m.ServiceLine, m.Mode, AreaCode = m.AreaUnit!.Code, AreaName = m.AreaUnit.Name, m.IsPublished,
            }).ToListAsync(cancellationToken);
        var slots = (await db.ServiceSlots.AsNoTracking().Where(s => ids.Contains(s.MenuId) && s.EndsAtUtc > now).OrderBy(s => s.StartsAtUtc).ToListAsync(cancellationToken))
            .ToLookup(s => s.MenuId);
        return rows.OrderBy(r => ids.IndexOf(r.Id)).Select(r => new MenuView(r.Id, r.Title, r.Description, r.HostOrganizationId, r.Host, r.PostName, r.PostPlace, r.OpeningHours,
            r.ServiceLine, r.Mode, r.AreaCode, r.AreaName, r.IsPublished,
            slots[r.Id].Take(30).Select(s => new SlotView(s.Id, s.StartsAtUtc, s.EndsAtUtc, s.Capacity, s.Booked)).ToList())).ToList();
    }

    /// <summary>The areas a menu may cover: the city itself and its districts and counties.</summary>
    public static IQueryable<Unit> Areas(AppDbContext db) =>
        db.Units.Where(u => u.Depth == 0 || (u.Depth == 1 && (u.Type == UnitType.District || u.Type == UnitType.County || u.Type == UnitType.CountyLevelCity)));

    async Task<Organization?> HostAsync(ClaimsPrincipal principal, Guid? id, FieldErrors errors, CancellationToken cancellationToken)
    {
        var host = id is { } hostId
            ? await (await organizations.ManagedQueryAsync(principal, cancellationToken)).AsNoTracking().SingleOrDefaultAsync(o => o.Id == hostId, cancellationToken)
            : null;
        if (host is null)
        {
            errors.Add("hostOrganizationId", text["Activities.Error.Host"]);
        }
        return host;
    }
}

/// <summary>Trimmed, required or optional, length-checked text fields.</summary>
public static class Text
{
    public static string Required(FieldErrors errors, IStringLocalizer text, string field, string? value, string label, int maxLength)
    {
        var trimmed = Trim(value);
        if (trimmed.Length == 0)
        {
            errors.Add(field, text["Validation.Required", text[label]]);
        }
        return Optional(errors, text, field, trimmed, label, maxLength);
    }

    public static string Optional(FieldErrors errors, IStringLocalizer text, string field, string? value, string label, int maxLength)
    {
        var trimmed = Trim(value);
        if (trimmed.Length > maxLength)
        {
            errors.Add(field, text["Validation.TooLong", text[label], maxLength]);
        }
        if (InputRules.HasControl(trimmed))
        {
            errors.Add(field, text["Validation.Control"]);
        }
        return trimmed;
    }

    /// <summary>Trimmed; text nobody could see (only zero-width spaces, fillers …) counts as empty, so it cannot pass for a name.</summary>
    public static string Trim(string? value) => InputRules.IsInvisible(value) ? "" : value!.Trim();
}
