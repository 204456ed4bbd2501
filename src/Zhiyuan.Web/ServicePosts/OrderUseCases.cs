using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.ServicePosts;

public sealed record SendCodeRequest(string? Phone);

/// <summary>The citizen's contact details in full, given only through an audited look.</summary>
public sealed record OrderContact(string Phone, string Address, string Notes);

/// <summary>A citizen's order. Anonymous callers must give the code sent to <paramref name="Phone"/>.</summary>
public sealed record PlaceOrderRequest(Guid? MenuId, Guid? SlotId, string? Name, string? Phone, string? Code, string? Address,
    DateTimeOffset? PreferredStart, DateTimeOffset? PreferredEnd, string? Notes);

public sealed record PlacedOrder(Guid Id, string TrackingToken, string TrackingLink);

public sealed record OrderEventView(DateTime AtUtc, OrderStatus Status, string Stage, string Actor, string? OrganizationName, string? Reason);

public sealed record OrderView(Guid Id, Guid MenuId, string MenuTitle, ServiceMode Mode, string UnitName, OrderStatus Status, string Stage,
    string CitizenName, string PhoneMasked, string Address, DateTime PreferredStartUtc, DateTime PreferredEndUtc, string Notes,
    Guid? OrganizationId, string? OrganizationName, string? RejectReason, string? CancelReason, int? Rating, string? RatingComment,
    DateTime CreatedAtUtc, DateTime? DispatchedAtUtc, DateTime? AcceptedAtUtc, DateTime? CompletedAtUtc, Guid? ActivityId, Guid? SessionId,
    List<string> AssignedVolunteers, List<OrderEventView> Events, bool Overdue);

/// <summary>One step of an order's progress as the citizen sees it: submitted → dispatched → accepted → in service → done (or cancelled).</summary>
public sealed record OrderStep(string Key, string Name, OrderStepState State, DateTime? AtUtc);

public enum OrderStepState
{
    Done,
    Current,
    Waiting,
    Cancelled,
}

/// <summary>A line of the order's history for the citizen: who acted is named by the unit or organisation (or "you"), never an account or a volunteer number.</summary>
public sealed record OrderTrackEvent(DateTime AtUtc, OrderStatus Status, string Stage, string Who, string? OrganizationName, string? Reason);

/// <summary>
/// The citizen's view of their order, by the secret of the tracking link: exactly what may be shown to
/// whoever holds the link. Names masked (the citizen's, the volunteers'), the address cut to its district,
/// the serving organisation's published contact, no user names, volunteer numbers or unit codes.
/// </summary>
public sealed record OrderTracking(Guid Id, Guid MenuId, string MenuTitle, ServiceMode Mode, OrderStatus Status, string Stage,
    string CitizenName, string PhoneMasked, string Address, DateTime PreferredStartUtc, DateTime PreferredEndUtc,
    string UnitName, string? OrganizationName, string? OrganizationContactName, string? OrganizationPhone,
    List<string> AssignedVolunteers, int? Rating, string? RatingComment, string? CancelReason, bool Overdue, bool CanRate, bool CanCancel,
    List<OrderStep> Steps, List<OrderTrackEvent> Events);

/// <summary>What the caller may do with an order they manage.</summary>
public sealed record ManagedOrder(OrderView Order, bool CanDispatch, bool CanAnswer, List<(Guid Id, string Name)> Organizations);

public sealed record DispatchRequest(Guid? OrganizationId);

/// <summary>Accept (with the volunteers' numbers) or reject (with a reason).</summary>
public sealed record AnswerOrderRequest(bool Accept, string? Reason, string[]? VolunteerNumbers);

public sealed record CompleteOrderRequest(string[]? VolunteerNumbers);

public sealed record CancelOrderRequest(string? Reason);

public sealed record RateOrderRequest(int? Rating, string? Comment);

public sealed record UnitOrderFigures(string UnitCode, string UnitName, int Orders, int Open, int Overdue, int Completed, int Cancelled,
    double? HoursToDispatch, double? HoursToAccept, double? HoursToComplete, double? AverageRating);

/// <summary>Citizen orders: 点单 → 派单 → 接单 → 评单, with re-dispatch, cancellation and the figures per unit.</summary>
public sealed class OrderUseCases(
    AppDbContext db,
    AuditLog audit,
    PersonalData personalData,
    PhoneCodes phoneCodes,
    OrganizationUseCases organizations,
    AssignedActivities assigned,
    ActivityUseCases activities,
    UserManager<AppUser> users,
    IOptions<OrderOptions> options,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    const string PhoneKind = "order-phone";
    const string CodeKind = "order-code";
    const string TrackingKind = "order-tracking";
    public static readonly TimeSpan LongestService = TimeSpan.FromHours(12);
    public const int BookAheadDays = 90;

    static string OrdersKey(byte[] phoneHash) => "orders:" + Convert.ToHexString(phoneHash);

    OrderOptions Settings => options.Value;

    /// <summary>Order codes: their own hash kinds (so no other kind of code places an order) and the number's limit from the settings.</summary>
    PhoneCodeKind Codes => new(SmsPurpose.OrderCode, PhoneKind, CodeKind, "order-codes:", Settings.MaxCodesPerPhonePerHour, Settings.CodeValidMinutes);

    public string Stage(OrderStatus status) =>
        Settings.StageNames.TryGetValue(status.ToString(), out var name) && !string.IsNullOrWhiteSpace(name) ? name : text["OrderStatus." + status].Value;

    /// <summary>Whether anonymous callers can order at all: only when codes reach phones (or a developer's log).</summary>
    public bool CodesAvailable => phoneCodes.Delivery != SmsDelivery.None;

    /// <summary>
    /// Sends a one-time code, at most <see cref="OrderOptions.MaxCodesPerPhonePerHour"/> an hour to one number,
    /// <see cref="SmsOptions.CodesPerAddressPerHour"/> to one client address and <see cref="SmsOptions.CodesPerHour"/> in all.
    /// </summary>
    public async Task<Outcome<CodeSentView>> SendCodeAsync(SendCodeRequest request, System.Net.IPAddress? address, CancellationToken cancellationToken = default)
    {
        if (!CodesAvailable)
        {
            return Outcome<CodeSentView>.Invalid("phone", text["Sms.NotConfigured"]);
        }
        var phone = (request.Phone ?? "").Trim();
        if (!IdentityDocument.MobilePattern().IsMatch(phone))
        {
            return Outcome<CodeSentView>.Invalid("phone", text["Orders.Error.Phone"]);
        }
        return await phoneCodes.SendAsync(Codes, "phone", phone, address, cancellationToken);
    }

    /// <summary>点单: checks everything first, so a refused order leaves nothing behind (only the attempt at the code is counted).</summary>
    public async Task<Outcome<PlacedOrder>> PlaceAsync(ClaimsPrincipal principal, PlaceOrderRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var now = time.GetUtcNow().UtcDateTime;
        var menu = request.MenuId is { } menuId
            ? await db.ServiceMenus.AsNoTracking().Include(m => m.AreaUnit).Include(m => m.HostOrganization).SingleOrDefaultAsync(m => m.Id == menuId && m.IsPublished, cancellationToken)
            : null;
        if (menu is null)
        {
            return Outcome<PlacedOrder>.Invalid("menuId", text["Orders.Error.Menu"]);
        }
        var name = Text.Required(errors, text, "name", request.Name, "Orders.Field.Name", 50);
        var phone = (request.Phone ?? "").Trim();
        var phoneHash = personalData.Hash(PhoneKind, phone);
        if (!IdentityDocument.MobilePattern().IsMatch(phone))
        {
            errors.Add("phone", text["Orders.Error.Phone"]);
        }
        else if (await CountedLimits.UsedAsync(db, OrdersKey(phoneHash), TimeSpan.FromDays(1), now, cancellationToken) >= Settings.MaxOrdersPerPhonePerDay)
        {
            errors.Add("phone", text["Orders.Error.TooManyOrders", Settings.MaxOrdersPerPhonePerDay]);
        }
        var address = Text.Required(errors, text, "address", request.Address, "Orders.Field.Address", CitizenOrder.TextMaxLength);
        if (address.Length > 0)
        {
            var problem = await CheckAddressAsync(address, menu.AreaUnit!, cancellationToken);
            if (problem is not null)
            {
                errors.Add("address", problem);
            }
        }
        var notes = Text.Optional(errors, text, "notes", request.Notes, "Orders.Field.Notes", CitizenOrder.TextMaxLength);
        ServiceSlot? slot = null;
        DateTime start = default, end = default;
        if (request.SlotId is { } slotId)
        {
            slot = await db.ServiceSlots.AsNoTracking().SingleOrDefaultAsync(s => s.Id == slotId && s.MenuId == menu.Id, cancellationToken);
            if (slot is null || slot.StartsAtUtc <= now)
            {
                errors.Add("slotId", text["Orders.Error.Slot"]);
            }
            else if (slot.Booked >= slot.Capacity)
            {
                errors.Add("slotId", text["Orders.Error.SlotFull"]);
            }
            else
            {
                (start, end) = (slot.StartsAtUtc, slot.EndsAtUtc);
            }
        }
        else if (request.PreferredStart is not { } from || request.PreferredEnd is not { } to)
        {
            errors.Add("preferredStart", text["Validation.Required", text["Orders.Field.PreferredTime"]]);
        }
        else
        {
            (start, end) = (from.UtcDateTime, to.UtcDateTime);
            if (end <= start)
            {
                errors.Add("preferredEnd", text["Activities.Error.EndBeforeStart"]);
            }
            else if (end - start > LongestService)
            {
                errors.Add("preferredEnd", text["Orders.Error.TooLong", (int)LongestService.TotalHours]);
            }
            if (start < now.AddHours(1))
            {
                errors.Add("preferredStart", text["Orders.Error.TooSoon"]);
            }
            else if (start > now.AddDays(BookAheadDays))
            {
                errors.Add("preferredStart", text["Orders.Error.TooFar", BookAheadDays]);
            }
        }
        var userId = users.GetUserId(principal);
        Guid? verification = null;
        // Anyone can register, so an account is no proof of owning a number: only the account's own
        // registered mobile (a volunteer's, by its keyed hash) goes without a code.
        var ownPhone = userId is not null && errors.Any is false && await IsOwnMobileAsync(userId, phone, cancellationToken);
        if (!ownPhone && !errors.Any && !CodesAvailable)
        {
            errors.Add("code", text[userId is null ? "Orders.Error.SmsNotConfigured" : "Orders.Error.SmsNotConfiguredOwnOnly"]);
        }
        else if (!ownPhone && !errors.Any)
        {
            // Orders for any other number need the code sent to it.
            verification = await phoneCodes.CheckAsync(Codes, phone, request.Code, "code", errors, cancellationToken);
        }
        if (errors.Any)
        {
            return Outcome<PlacedOrder>.Invalid(errors);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The code is used once and the number's daily orders are counted, each by one conditional
        // statement inside the order's transaction: a refused order gives both back.
        if (verification is { } checkedCode && !await phoneCodes.UseAsync(checkedCode, cancellationToken))
        {
            return Outcome<PlacedOrder>.Invalid("code", phoneCodes.NoCode(Codes));
        }
        if (!await CountedLimits.TryTakeAsync(db, OrdersKey(phoneHash), TimeSpan.FromDays(1), Settings.MaxOrdersPerPhonePerDay, now, cancellationToken))
        {
            return Outcome<PlacedOrder>.Invalid("phone", text["Orders.Error.TooManyOrders", Settings.MaxOrdersPerPhonePerDay]);
        }
        if (slot is not null
            && await db.ServiceSlots.Where(s => s.Id == slot.Id && s.Booked < s.Capacity).ExecuteUpdateAsync(s => s.SetProperty(x => x.Booked, x => x.Booked + 1), cancellationToken) == 0)
        {
            return Outcome<PlacedOrder>.Invalid("slotId", text["Orders.Error.SlotFull"]);
        }
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        var order = new CitizenOrder
        {
            MenuId = menu.Id, SlotId = slot?.Id, UnitId = menu.UnitId, CitizenName = name, PhoneCipher = personalData.Encrypt(phone), PhoneHash = phoneHash,
            PhoneMasked = PersonalData.MaskPhone(phone), CitizenUserId = userId, Address = address, PreferredStartUtc = start, PreferredEndUtc = end, Notes = notes,
            Status = OrderStatus.Ordered, TrackingHash = personalData.Hash(TrackingKind, token), CreatedAtUtc = now,
        };
        order.Events.Add(Event(order, OrderStatus.Ordered, Certificates.MaskName(name), null, null, now));
        db.CitizenOrders.Add(order);
        audit.Add("order.place", menu.UnitId, menu.Title, order.PhoneMasked);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<PlacedOrder>.Ok(new PlacedOrder(order.Id, token, $"/orders/{order.Id}?t={token}"));
    }

    /// <summary>Whether the phone is the signed-in account's own registered mobile (compared by the keyed hash sign-in uses).</summary>
    async Task<bool> IsOwnMobileAsync(string userId, string phone, CancellationToken cancellationToken)
    {
        if (!IdentityDocument.MobilePattern().IsMatch(phone))
        {
            return false;
        }
        var mobileHash = personalData.Hash(VolunteerUseCases.PhoneHashKind, phone);
        return await db.Volunteers.AnyAsync(v => v.UserId == userId && v.PhoneHash == mobileHash, cancellationToken);
    }

    /// <summary>
    /// The address must name a place in Zhaoqing (the city, or one of its districts and counties) and,
    /// when the menu covers one district or county, a place in that one. Returns the reason it is refused.
    /// </summary>
    async Task<string?> CheckAddressAsync(string address, Unit area, CancellationToken cancellationToken)
    {
        var areas = await ServiceMenuUseCases.Areas(db).AsNoTracking().Where(u => u.Depth == 1).Select(u => new { u.Id, u.Name, u.Path }).ToListAsync(cancellationToken);
        var district = areas.FirstOrDefault(a => address.Contains(a.Name) || address.Contains(ShortName(a.Name)));
        var inCity = district is not null || address.Contains("肇庆");
        if (!inCity)
        {
            return text["Orders.Error.OutsideCity"];
        }
        if (area.Depth == 0)
        {
            return null;
        }
        if (district is null)
        {
            return text["Orders.Error.NameDistrict", area.Name];
        }
        return district.Path.StartsWith(area.Path) ? null : text["Orders.Error.OutsideArea", area.Name].Value;
    }

    /// <summary>"端州区" is written "端州" as often as not; "四会市" as "四会".</summary>
    static string ShortName(string name) => name.Length > 2 && name[^1] is '区' or '县' or '市' ? name[..^1] : name;

    /// <summary>The citizen's view, by the secret of their tracking link.</summary>
    public async Task<OrderTracking?> TrackAsync(Guid id, string? token, CancellationToken cancellationToken = default)
    {
        var order = await ByTokenAsync(id, token, cancellationToken);
        return order is null ? null : await TrackingAsync(id, cancellationToken);
    }

    async Task<OrderTracking?> TrackingAsync(Guid id, CancellationToken cancellationToken)
    {
        var view = await ViewAsync(id, cancellationToken);
        if (view is null)
        {
            return null;
        }
        var organization = view.OrganizationId is { } organizationId
            ? await db.Organizations.AsNoTracking().Where(o => o.Id == organizationId).Select(o => new { o.ContactName, o.ContactPhone }).SingleOrDefaultAsync(cancellationToken)
            : null;
        var now = time.GetUtcNow().UtcDateTime;
        var you = text["Orders.Track.You"].Value;
        // Who acted, for the citizen: themselves, the unit that took the order, or the organisation serving it. The
        // citizen's own entries carry their masked name (a '*', which no account name holds); the unit's carry an account name.
        string Who(OrderEventView e) => e.Status switch
        {
            OrderStatus.Ordered or OrderStatus.Rated => you,
            OrderStatus.Cancelled => e.Actor.Contains('*') ? you : view.UnitName,
            OrderStatus.Dispatched => view.UnitName,
            _ => e.OrganizationName ?? view.UnitName,
        };
        var cancelledAt = view.Events.LastOrDefault(e => e.Status == OrderStatus.Cancelled)?.AtUtc;
        return new OrderTracking(view.Id, view.MenuId, view.MenuTitle, view.Mode, view.Status, view.Stage, view.CitizenName, view.PhoneMasked, view.Address,
            view.PreferredStartUtc, view.PreferredEndUtc, view.UnitName, view.OrganizationName,
            organization is { ContactName.Length: > 0 } ? organization.ContactName : null, organization is { ContactPhone.Length: > 0 } ? organization.ContactPhone : null,
            view.AssignedVolunteers, view.Rating, view.RatingComment, view.CancelReason, view.Overdue,
            CanRate: view.Status == OrderStatus.Completed,
            CanCancel: view.Status is OrderStatus.Ordered or OrderStatus.Dispatched or OrderStatus.Rejected or OrderStatus.Accepted,
            Steps(view, cancelledAt, now), view.Events.Select(e => new OrderTrackEvent(e.AtUtc, e.Status, e.Stage, Who(e), e.OrganizationName, e.Reason)).ToList());
    }

    /// <summary>
    /// The five steps and how far the order got. A turned-down order is back before dispatch (waiting for
    /// another organisation); an accepted one is in service from its service time; a cancelled one keeps
    /// the steps it reached and ends in 已取消.
    /// </summary>
    List<OrderStep> Steps(OrderView order, DateTime? cancelledAt, DateTime now)
    {
        var cancelled = order.Status == OrderStatus.Cancelled;
        var dispatched = order.DispatchedAtUtc is not null && order.Status != OrderStatus.Rejected && order.Status != OrderStatus.Ordered;
        var accepted = order.AcceptedAtUtc is not null && order.Status is OrderStatus.Accepted or OrderStatus.Completed or OrderStatus.Rated
            || (cancelled && order.AcceptedAtUtc is not null);
        var done = order.Status is OrderStatus.Completed or OrderStatus.Rated;
        var inService = done || (order.Status == OrderStatus.Accepted && now >= order.PreferredStartUtc);
        var reached = new (string Key, bool Reached, DateTime? At)[]
        {
            ("submitted", true, order.CreatedAtUtc),
            ("dispatched", dispatched || accepted || done, order.DispatchedAtUtc),
            ("accepted", accepted || done, order.AcceptedAtUtc),
            ("inService", inService, inService ? order.PreferredStartUtc : null),
            (cancelled ? "cancelled" : "done", done || cancelled, done ? order.CompletedAtUtc : cancelledAt),
        };
        var last = Array.FindLastIndex(reached, r => r.Reached);
        return reached.Select((r, i) => new OrderStep(r.Key, text["Orders.Step." + r.Key],
            r.Key == "cancelled" ? OrderStepState.Cancelled
            : cancelled ? (r.Reached ? OrderStepState.Done : OrderStepState.Waiting)
            : i == last && !done ? OrderStepState.Current
            : r.Reached ? OrderStepState.Done : OrderStepState.Waiting,
            r.Reached ? r.At : null)).ToList();
    }

    async Task<CitizenOrder?> ByTokenAsync(Guid id, string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return null;
        }
        var order = await db.CitizenOrders.SingleOrDefaultAsync(o => o.Id == id, cancellationToken);
        return order is not null && CryptographicOperations.FixedTimeEquals(order.TrackingHash, personalData.Hash(TrackingKind, token.Trim())) ? order : null;
    }

    /// <summary>The orders the caller dispatches (unit subtree) or answers for (organisations they run), newest first.</summary>
    public async Task<List<OrderView>> ManagedListAsync(ClaimsPrincipal principal, OrderStatus? status = null, CancellationToken cancellationToken = default) =>
        await ManagedListAsync(principal, status, null, cancellationToken);

    /// <param name="queue">Only the orders waiting for the caller's next step (dispatching or accepting).</param>
    public async Task<List<OrderView>> ManagedListAsync(ClaimsPrincipal principal, OrderStatus? status, OrderQueue? queue, CancellationToken cancellationToken = default)
    {
        var query = queue is { } q ? await QueueAsync(principal, q, cancellationToken) : await VisibleAsync(principal, cancellationToken);
        if (status is { } s)
        {
            query = query.Where(o => o.Status == s);
        }
        var ids = await query.OrderByDescending(o => o.CreatedAtUtc).Select(o => o.Id).Take(MaxListed).ToListAsync(cancellationToken);
        var views = new List<OrderView>();
        foreach (var id in ids)
        {
            views.Add((await ViewAsync(id, cancellationToken))!);
        }
        return views;
    }

    public async Task<ManagedOrder?> ManagedAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default)
    {
        var order = await (await VisibleAsync(principal, cancellationToken)).AsNoTracking().SingleOrDefaultAsync(o => o.Id == id, cancellationToken);
        if (order is null)
        {
            return null;
        }
        var canDispatch = await CanDispatchAsync(principal, order, cancellationToken);
        var canAnswer = order.OrganizationId is { } orgId && await (await organizations.ManagedQueryAsync(principal, cancellationToken)).AnyAsync(o => o.Id == orgId, cancellationToken);
        var choices = new List<(Guid, string)>();
        if (canDispatch)
        {
            var scope = (await UnitScope.ForAsync(principal, db, cancellationToken))!;
            // The dispatcher may send it to any approved organisation in their own subtree.
            choices = (await db.Organizations.AsNoTracking().Where(o => o.Status == OrganizationStatus.Approved && o.Unit!.Path.StartsWith(scope.RootPath))
                .OrderBy(o => o.Name).Select(o => new { o.Id, o.Name }).Take(500).ToListAsync(cancellationToken)).Select(o => (o.Id, o.Name)).ToList();
        }
        return new ManagedOrder((await ViewAsync(id, cancellationToken))!, canDispatch, canAnswer, choices);
    }

    /// <summary>派单, or dispatch again after a rejection or while the organisation has not answered.</summary>
    public async Task<Outcome<OrderView>> DispatchAsync(ClaimsPrincipal principal, Guid id, DispatchRequest request, CancellationToken cancellationToken = default)
    {
        var order = await db.CitizenOrders.Include(o => o.Menu).SingleOrDefaultAsync(o => o.Id == id, cancellationToken);
        if (order is null || !await CanDispatchAsync(principal, order, cancellationToken))
        {
            return Outcome<OrderView>.NotFound();
        }
        if (order.Status is not (OrderStatus.Ordered or OrderStatus.Rejected or OrderStatus.Dispatched))
        {
            return Outcome<OrderView>.Invalid("status", text["Orders.Error.Transition", Stage(order.Status), Stage(OrderStatus.Dispatched)]);
        }
        var scope = (await UnitScope.ForAsync(principal, db, cancellationToken))!;
        var organization = request.OrganizationId is { } orgId
            ? await db.Organizations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == orgId && o.Status == OrganizationStatus.Approved && o.Unit!.Path.StartsWith(scope.RootPath), cancellationToken)
            : null;
        if (organization is null)
        {
            return Outcome<OrderView>.Invalid("organizationId", text["Orders.Error.Organization"]);
        }
        if (order.Status == OrderStatus.Dispatched && order.OrganizationId == organization.Id)
        {
            return Outcome<OrderView>.Invalid("organizationId", text["Orders.Error.SameOrganization"]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        order.OrganizationId = organization.Id;
        order.Status = OrderStatus.Dispatched;
        order.FirstDispatchedAtUtc ??= now;
        order.DispatchedAtUtc = now;
        db.OrderEvents.Add(Event(order, OrderStatus.Dispatched, audit.ActorName, organization.Name, null, now));
        audit.Add("order.dispatch", order.UnitId, order.Menu!.Title, organization.Name);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<OrderView>.Ok((await ViewAsync(id, cancellationToken))!);
    }

    /// <summary>接单 with volunteers (approved members), which makes the activity session their hours go to; or a rejection with its reason.</summary>
    public async Task<Outcome<OrderView>> AnswerAsync(ClaimsPrincipal principal, Guid id, AnswerOrderRequest request, CancellationToken cancellationToken = default)
    {
        var order = await AnswerableAsync(principal, id, cancellationToken);
        if (order is null)
        {
            return Outcome<OrderView>.NotFound();
        }
        if (order.Status != OrderStatus.Dispatched)
        {
            return Outcome<OrderView>.Invalid("status", text["Orders.Error.Transition", Stage(order.Status), Stage(request.Accept ? OrderStatus.Accepted : OrderStatus.Rejected)]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var errors = new FieldErrors();
        var reason = Text.Optional(errors, text, "reason", request.Reason, "Orders.Field.Reason", CitizenOrder.TextMaxLength);
        if (!request.Accept)
        {
            if (reason.Length == 0)
            {
                errors.Add("reason", text["Validation.Required", text["Orders.Field.Reason"]]);
            }
            if (errors.Any)
            {
                return Outcome<OrderView>.Invalid(errors);
            }
            order.Status = OrderStatus.Rejected;
            order.RejectedAtUtc = now;
            order.RejectReason = reason;
            db.OrderEvents.Add(Event(order, OrderStatus.Rejected, audit.ActorName, order.Organization!.Name, reason, now));
            audit.Add("order.reject", order.UnitId, order.Menu!.Title, $"{order.Organization.Name}: {reason}");
            await db.SaveChangesAsync(cancellationToken);
            return Outcome<OrderView>.Ok((await ViewAsync(id, cancellationToken))!);
        }
        var volunteers = await assigned.MembersAsync(errors, "volunteerNumbers", order.OrganizationId!.Value, request.VolunteerNumbers, cancellationToken);
        if (order.PreferredEndUtc <= now)
        {
            errors.Add("status", text["Orders.Error.TimePassed"]);
        }
        if (errors.Any)
        {
            return Outcome<OrderView>.Invalid(errors);
        }
        var menu = order.Menu!;
        var area = await db.Units.Where(u => u.Id == menu.AreaUnitId).Select(u => u.Name).SingleAsync(cancellationToken);
        var (activity, session) = assigned.Add(order.Organization!, new AssignedWork(
            // The citizen's address and notes stay on the order: the activity names only the area, and the
            // assigned volunteers read the rest through an audited look (AssignmentDetailsAsync).
            $"{text["Orders.ActivityPrefix"]}{menu.Title}", menu.Description, menu.ServiceLine, text["Orders.Programme"],
            menu.Mode == ServiceMode.Online ? text["ServiceMode.Online"] : text["Orders.ActivityAddress", area], order.PreferredStartUtc, order.PreferredEndUtc,
            audit.ActorName, ActivityStatus.Closed, IsPrivate: true), volunteers, users.GetUserId(principal), now);
        order.Status = OrderStatus.Accepted;
        order.AcceptedAtUtc = now;
        order.ActivityId = activity.Id;
        order.SessionId = session.Id;
        db.OrderEvents.Add(Event(order, OrderStatus.Accepted, audit.ActorName, order.Organization!.Name, text["Orders.VolunteersAssigned", volunteers.Count], now));
        audit.Add("order.accept", order.UnitId, menu.Title, $"{order.Organization.Name} · {volunteers.Count}");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<OrderView>.Ok((await ViewAsync(id, cancellationToken))!);
    }

    /// <summary>Done: the assigned volunteers (or those named) are marked present and their hours confirmed into the ledger.</summary>
    public async Task<Outcome<OrderView>> CompleteAsync(ClaimsPrincipal principal, Guid id, CompleteOrderRequest request, CancellationToken cancellationToken = default)
    {
        var order = await AnswerableAsync(principal, id, cancellationToken);
        if (order is null)
        {
            return Outcome<OrderView>.NotFound();
        }
        if (order.Status != OrderStatus.Accepted)
        {
            return Outcome<OrderView>.Invalid("status", text["Orders.Error.Transition", Stage(order.Status), Stage(OrderStatus.Completed)]);
        }
        // The order's status changes first (conditionally: a second "complete" matches no row and is
        // refused), in one transaction with the hours, so an order is completed and credited once, or not at all.
        var now = time.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        order.Status = OrderStatus.Completed;
        order.CompletedAtUtc = now;
        await db.SaveChangesAsync(cancellationToken);
        var confirmed = await assigned.CompleteAsync(principal, order.ActivityId!.Value, order.SessionId!.Value, request.VolunteerNumbers, cancellationToken);
        if (!confirmed.Succeeded)
        {
            return confirmed.IsNotFound ? Outcome<OrderView>.NotFound() : Outcome<OrderView>.Invalid(FieldErrorsFrom.Copy(confirmed.Errors!));
        }
        db.OrderEvents.Add(Event(order, OrderStatus.Completed, audit.ActorName, order.Organization!.Name, HourText(confirmed.Value!.Minutes), now));
        audit.Add("order.complete", order.UnitId, order.Menu!.Title, $"{confirmed.Value.Confirmed} · {confirmed.Value.Minutes} min");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<OrderView>.Ok((await ViewAsync(id, cancellationToken))!);
    }

    string HourText(int minutes) => text["Orders.HoursConfirmed", Hours.HourUseCases.FormatHours(minutes)];

    /// <summary>Cancelled by the dispatcher or the organisation (with a reason), before it is done.</summary>
    public async Task<Outcome<OrderView>> CancelAsync(ClaimsPrincipal principal, Guid id, CancelOrderRequest request, CancellationToken cancellationToken = default)
    {
        var order = await (await VisibleAsync(principal, cancellationToken)).Include(o => o.Menu).SingleOrDefaultAsync(o => o.Id == id, cancellationToken);
        if (order is null)
        {
            return Outcome<OrderView>.NotFound();
        }
        var reason = (request.Reason ?? "").Trim();
        if (reason.Length == 0)
        {
            return Outcome<OrderView>.Invalid("reason", text["Validation.Required", text["Orders.Field.Reason"]]);
        }
        return await CancelCoreAsync(order, reason, audit.ActorName, cancellationToken);
    }

    /// <summary>Cancelled by the citizen through their tracking link.</summary>
    public async Task<Outcome<OrderTracking>> CancelByCitizenAsync(Guid id, string? token, CancelOrderRequest request, CancellationToken cancellationToken = default) =>
        await ForCitizenAsync(id, await CancelByCitizenCoreAsync(id, token, request, cancellationToken), cancellationToken);

    async Task<Outcome<OrderView>> CancelByCitizenCoreAsync(Guid id, string? token, CancelOrderRequest request, CancellationToken cancellationToken)
    {
        var order = await ByTokenAsync(id, token, cancellationToken);
        if (order is null)
        {
            return Outcome<OrderView>.NotFound();
        }
        await db.Entry(order).Reference(o => o.Menu).LoadAsync(cancellationToken);
        var reason = (request.Reason ?? "").Trim();
        return await CancelCoreAsync(order, reason.Length == 0 ? text["Orders.CancelledByCitizen"] : reason, Certificates.MaskName(order.CitizenName), cancellationToken);
    }

    async Task<Outcome<OrderView>> CancelCoreAsync(CitizenOrder order, string reason, string actor, CancellationToken cancellationToken)
    {
        if (order.Status is OrderStatus.Completed or OrderStatus.Rated or OrderStatus.Cancelled)
        {
            return Outcome<OrderView>.Invalid("status", text["Orders.Error.Transition", Stage(order.Status), Stage(OrderStatus.Cancelled)]);
        }
        if (reason.Length > CitizenOrder.TextMaxLength)
        {
            return Outcome<OrderView>.Invalid("reason", text["Validation.TooLong", text["Orders.Field.Reason"], CitizenOrder.TextMaxLength]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        // The status first, by a conditional update (a second cancellation matches no row and is
        // refused with 409), then what the order held: its activity and its place in the time slot.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var activityId = order.ActivityId;
        order.ActivityId = null;
        order.SessionId = null;
        order.Status = OrderStatus.Cancelled;
        order.CancelledAtUtc = now;
        order.CancelReason = reason;
        db.OrderEvents.Add(Event(order, OrderStatus.Cancelled, actor, null, reason, now));
        audit.Add("order.cancel", order.UnitId, order.Menu!.Title, reason);
        await db.SaveChangesAsync(cancellationToken);
        if (activityId is not null)
        {
            // Nobody served yet: the order's activity and its sign-ups go, so no hours can be confirmed for it.
            await db.SignUps.Where(s => s.Session!.ActivityId == activityId).ExecuteDeleteAsync(cancellationToken);
            await db.ActivitySessions.Where(s => s.ActivityId == activityId).ExecuteDeleteAsync(cancellationToken);
            await db.Activities.Where(a => a.Id == activityId).ExecuteDeleteAsync(cancellationToken);
        }
        if (order.SlotId is { } slotId)
        {
            await db.ServiceSlots.Where(s => s.Id == slotId && s.Booked > 0).ExecuteUpdateAsync(s => s.SetProperty(x => x.Booked, x => x.Booked - 1), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return Outcome<OrderView>.Ok((await ViewAsync(order.Id, cancellationToken))!);
    }

    /// <summary>评单: the citizen rates a completed order once, 1 to 5 stars.</summary>
    public async Task<Outcome<OrderTracking>> RateAsync(Guid id, string? token, RateOrderRequest request, CancellationToken cancellationToken = default) =>
        await ForCitizenAsync(id, await RateCoreAsync(id, token, request, cancellationToken), cancellationToken);

    /// <summary>What the citizen's own actions answer: their tracking view, never the view of those who serve the order.</summary>
    async Task<Outcome<OrderTracking>> ForCitizenAsync(Guid id, Outcome<OrderView> outcome, CancellationToken cancellationToken) =>
        outcome.Succeeded ? Outcome<OrderTracking>.Ok((await TrackingAsync(id, cancellationToken))!) : outcome.Refusal<OrderTracking>();

    async Task<Outcome<OrderView>> RateCoreAsync(Guid id, string? token, RateOrderRequest request, CancellationToken cancellationToken)
    {
        var order = await ByTokenAsync(id, token, cancellationToken);
        if (order is null)
        {
            return Outcome<OrderView>.NotFound();
        }
        var errors = new FieldErrors();
        if (order.Status != OrderStatus.Completed)
        {
            errors.Add("status", text["Orders.Error.NotRateable", Stage(order.Status)]);
        }
        if (request.Rating is not (>= 1 and <= 5))
        {
            errors.Add("rating", text["Orders.Error.Rating"]);
        }
        var comment = Text.Optional(errors, text, "comment", request.Comment, "Orders.Field.Comment", CitizenOrder.TextMaxLength);
        if (errors.Any)
        {
            return Outcome<OrderView>.Invalid(errors);
        }
        var now = time.GetUtcNow().UtcDateTime;
        order.Status = OrderStatus.Rated;
        order.Rating = request.Rating;
        order.RatingComment = comment.Length > 0 ? comment : null;
        order.RatedAtUtc = now;
        db.OrderEvents.Add(Event(order, OrderStatus.Rated, Certificates.MaskName(order.CitizenName), null, $"{request.Rating}★ {comment}".Trim(), now));
        audit.Add("order.rate", order.UnitId, order.Id.ToString(), request.Rating!.Value.ToString());
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<OrderView>.Ok((await ViewAsync(id, cancellationToken))!);
    }

    /// <summary>
    /// The citizen's full phone number, address and notes, for the dispatching unit or the organisation
    /// serving the order; every look is audited. Everywhere else they are masked.
    /// </summary>
    public async Task<OrderContact?> RevealContactAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default)
    {
        var order = await (await VisibleAsync(principal, cancellationToken)).SingleOrDefaultAsync(o => o.Id == id, cancellationToken);
        if (order is null)
        {
            return null;
        }
        audit.Add("order.contact.view", order.UnitId, order.Id.ToString(), order.PhoneMasked);
        await db.SaveChangesAsync(cancellationToken);
        return new OrderContact(personalData.Decrypt(order.PhoneCipher), order.Address, order.Notes);
    }

    /// <summary>
    /// Where to go and what the citizen asked, for a volunteer assigned to the order's activity (or
    /// those who run it); every look is audited like the phone number. Null for anyone else and for
    /// activities that are not orders.
    /// </summary>
    public async Task<OrderContact?> AssignmentDetailsAsync(ClaimsPrincipal principal, Guid activityId, CancellationToken cancellationToken = default)
    {
        var order = await db.CitizenOrders.AsNoTracking().SingleOrDefaultAsync(o => o.ActivityId == activityId, cancellationToken);
        if (order is null || !await MaySeeAssignmentAsync(principal, activityId, cancellationToken))
        {
            return null;
        }
        audit.Add("order.address.view", order.UnitId, order.Id.ToString(), MaskAddress(order.Address));
        await db.SaveChangesAsync(cancellationToken);
        // The phone stays masked for the volunteers: they reach the citizen through the organisation.
        return new OrderContact(order.PhoneMasked, order.Address, order.Notes);
    }

    /// <summary>Whether the activity is a citizen's order whose details the caller may look at (without looking yet).</summary>
    public async Task<bool> HasAssignmentAsync(ClaimsPrincipal principal, Guid activityId, CancellationToken cancellationToken = default) =>
        await db.CitizenOrders.AnyAsync(o => o.ActivityId == activityId, cancellationToken) && await MaySeeAssignmentAsync(principal, activityId, cancellationToken);

    async Task<bool> MaySeeAssignmentAsync(ClaimsPrincipal principal, Guid activityId, CancellationToken cancellationToken) =>
        await activities.IsAssignedAsync(principal, activityId, cancellationToken) || await activities.CanManageAsync(principal, activityId, cancellationToken);

    /// <summary>The start of an address (city and district), enough to tell where without telling the door.</summary>
    public static string MaskAddress(string address) => address.Length <= 6 ? "……" : address[..6] + "……";

    /// <summary>Orders, open ones, overdue ones, and the average hours to dispatch, accept and complete, per unit in the caller's subtree.</summary>
    public async Task<List<UnitOrderFigures>> FiguresAsync(UnitScope scope, CancellationToken cancellationToken = default)
    {
        var rows = await db.CitizenOrders.AsNoTracking().Where(o => o.Unit!.Path.StartsWith(scope.RootPath))
            .Select(o => new
            {
                o.Unit!.Code, o.Unit.Name, o.Status, o.CreatedAtUtc, o.FirstDispatchedAtUtc, o.DispatchedAtUtc, o.RejectedAtUtc, o.AcceptedAtUtc, o.CompletedAtUtc,
                o.PreferredEndUtc, o.Rating,
            }).ToListAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        static double? Average(IEnumerable<TimeSpan> spans)
        {
            var list = spans.ToList();
            return list.Count == 0 ? null : Math.Round(list.Average(s => s.TotalHours), 1);
        }
        return rows.GroupBy(r => (r.Code, r.Name)).OrderBy(g => g.Key.Code).Select(g => new UnitOrderFigures(g.Key.Code, g.Key.Name, g.Count(),
            g.Count(r => r.Status is OrderStatus.Ordered or OrderStatus.Dispatched or OrderStatus.Rejected or OrderStatus.Accepted),
            g.Count(r => IsOverdue(r.Status, r.CreatedAtUtc, r.DispatchedAtUtc, r.RejectedAtUtc, r.PreferredEndUtc, now)),
            g.Count(r => r.Status is OrderStatus.Completed or OrderStatus.Rated), g.Count(r => r.Status == OrderStatus.Cancelled),
            Average(g.Where(r => r.FirstDispatchedAtUtc != null).Select(r => r.FirstDispatchedAtUtc!.Value - r.CreatedAtUtc)),
            Average(g.Where(r => r.AcceptedAtUtc != null && r.DispatchedAtUtc != null).Select(r => r.AcceptedAtUtc!.Value - r.DispatchedAtUtc!.Value)),
            Average(g.Where(r => r.CompletedAtUtc != null && r.AcceptedAtUtc != null).Select(r => r.CompletedAtUtc!.Value - r.AcceptedAtUtc!.Value)),
            g.Any(r => r.Rating != null) ? Math.Round(g.Where(r => r.Rating != null).Average(r => r.Rating!.Value), 1) : null)).ToList();
    }

    /// <summary>Overdue: not dispatched (or re-dispatched) in time, not answered in time, or not completed long after the service time.</summary>
    bool IsOverdue(OrderStatus status, DateTime created, DateTime? dispatched, DateTime? rejected, DateTime preferredEnd, DateTime now) => status switch
    {
        OrderStatus.Ordered => now - created > TimeSpan.FromHours(Settings.DispatchWithinHours),
        OrderStatus.Rejected => now - (rejected ?? created) > TimeSpan.FromHours(Settings.DispatchWithinHours),
        OrderStatus.Dispatched => now - (dispatched ?? created) > TimeSpan.FromHours(Settings.AcceptWithinHours),
        OrderStatus.Accepted => now - preferredEnd > TimeSpan.FromHours(Settings.CompleteWithinHoursAfterService),
        _ => false,
    };

    async Task<OrderView?> ViewAsync(Guid id, CancellationToken cancellationToken)
    {
        var o = await db.CitizenOrders.AsNoTracking().Include(o => o.Menu).Include(o => o.Unit).Include(o => o.Organization).Include(o => o.Events)
            .AsSplitQuery().SingleOrDefaultAsync(o => o.Id == id, cancellationToken);
        if (o is null)
        {
            return null;
        }
        var volunteers = o.SessionId is { } sessionId
            ? (await db.SignUps.AsNoTracking().Where(s => s.SessionId == sessionId && s.Status == SignUpStatus.Accepted).Select(s => s.Volunteer!.Name).ToListAsync(cancellationToken))
                .Select(Certificates.MaskName).ToList()
            : [];
        var now = time.GetUtcNow().UtcDateTime;
        return new OrderView(o.Id, o.MenuId, o.Menu!.Title, o.Menu.Mode, o.Unit!.Name, o.Status, Stage(o.Status), Certificates.MaskName(o.CitizenName), o.PhoneMasked,
            MaskAddress(o.Address), o.PreferredStartUtc, o.PreferredEndUtc, o.Notes.Length == 0 ? "" : text["Orders.NotesHidden"], o.OrganizationId, o.Organization?.Name, o.RejectReason, o.CancelReason, o.Rating, o.RatingComment,
            o.CreatedAtUtc, o.DispatchedAtUtc, o.AcceptedAtUtc, o.CompletedAtUtc, o.ActivityId, o.SessionId, volunteers,
            o.Events.OrderBy(e => e.AtUtc).Select(e => new OrderEventView(e.AtUtc, e.Status, Stage(e.Status), e.Actor, e.OrganizationName, e.Reason)).ToList(),
            IsOverdue(o.Status, o.CreatedAtUtc, o.DispatchedAtUtc, o.RejectedAtUtc, o.PreferredEndUtc, now));
    }

    /// <summary>The most orders the list shows.</summary>
    public const int MaxListed = 200;

    /// <summary>
    /// The orders waiting for the caller: to dispatch (placed or turned down, in the unit subtree they
    /// administer) or to accept (dispatched to an organisation they run). The one definition behind
    /// the order list's queue filter and the workbench's counts.
    /// </summary>
    internal async Task<IQueryable<CitizenOrder>> QueueAsync(ClaimsPrincipal principal, OrderQueue queue, CancellationToken cancellationToken)
    {
        if (queue == OrderQueue.Dispatch)
        {
            var scopePath = (await UnitScope.ForAsync(principal, db, cancellationToken))?.RootPath;
            return db.CitizenOrders.Where(o => scopePath != null && o.Unit!.Path.StartsWith(scopePath)
                && (o.Status == OrderStatus.Ordered || o.Status == OrderStatus.Rejected));
        }
        var managed = await organizations.ManagedQueryAsync(principal, cancellationToken);
        return db.CitizenOrders.Where(o => o.Status == OrderStatus.Dispatched && managed.Any(m => m.Id == o.OrganizationId));
    }

    /// <summary>Orders of the caller's unit subtree, and orders dispatched to organisations they run. The one place this rule is written.</summary>
    async Task<IQueryable<CitizenOrder>> VisibleAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var scopePath = (await UnitScope.ForAsync(principal, db, cancellationToken))?.RootPath;
        var managed = await organizations.ManagedQueryAsync(principal, cancellationToken);
        return db.CitizenOrders.Where(o => (scopePath != null && o.Unit!.Path.StartsWith(scopePath)) || managed.Any(m => m.Id == o.OrganizationId));
    }

    async Task<bool> CanDispatchAsync(ClaimsPrincipal principal, CitizenOrder order, CancellationToken cancellationToken)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        return scope is not null && await db.Units.AnyAsync(u => u.Id == order.UnitId && u.Path.StartsWith(scope.RootPath), cancellationToken);
    }

    async Task<CitizenOrder?> AnswerableAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken)
    {
        var managed = await organizations.ManagedQueryAsync(principal, cancellationToken);
        return await db.CitizenOrders.Include(o => o.Menu).Include(o => o.Organization)
            .SingleOrDefaultAsync(o => o.Id == id && managed.Any(m => m.Id == o.OrganizationId), cancellationToken);
    }

    static OrderEvent Event(CitizenOrder order, OrderStatus status, string actor, string? organization, string? reason, DateTime at) => new()
    {
        OrderId = order.Id, Status = status, Actor = actor.Length > 100 ? actor[..100] : actor, OrganizationName = organization,
        Reason = reason is { Length: > CitizenOrder.TextMaxLength } ? reason[..CitizenOrder.TextMaxLength] : reason, AtUtc = at,
    };
}

/// <summary>Carries a use case's field errors on into another outcome.</summary>
public static class FieldErrorsFrom
{
    public static FieldErrors Copy(IReadOnlyDictionary<string, string[]> source)
    {
        var errors = new FieldErrors();
        foreach (var (name, messages) in source)
        {
            foreach (var message in messages)
            {
                errors.Add(name, message);
            }
        }
        return errors;
    }
}

/// <summary>What an order waits for from the one looking at it.</summary>
public enum OrderQueue
{
    /// <summary>To be sent to an organisation (placed, or turned down by one).</summary>
    Dispatch,

    /// <summary>Sent to an organisation the caller runs, waiting for its answer.</summary>
    Accept,
}
