using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Localization;
using Npgsql;
using NpgsqlTypes;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;

namespace Zhiyuan.Web.Volunteers;

/// <summary>One reason a row cannot be imported, where a person finds it in their spreadsheet.</summary>
public sealed record ImportError(int Row, string Column, string Reason);

/// <summary>Either the number imported, or the file-level reason and every row's errors (and then nothing was imported).</summary>
public sealed record ImportResult(int Imported, string? FileError, List<ImportError> Errors)
{
    public bool Succeeded => FileError is null && Errors.Count == 0;

    /// <summary>The errors as a CSV Excel opens correctly (UTF-8 with a byte-order mark).</summary>
    public byte[] ErrorsCsv(string rowHeader, string columnHeader, string reasonHeader)
    {
        var csv = new StringBuilder();
        csv.Append('\uFEFF').Append(rowHeader).Append(',').Append(columnHeader).Append(',').Append(reasonHeader).Append("\r\n");
        if (FileError is not null)
        {
            csv.Append(",,").Append(CsvCell.Quote(FileError)).Append("\r\n");
        }
        foreach (var error in Errors)
        {
            csv.Append(error.Row).Append(',').Append(CsvCell.Quote(error.Column)).Append(',').Append(CsvCell.Quote(error.Reason)).Append("\r\n");
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }
}

/// <summary>
/// Bulk import of volunteers from .xlsx or .csv, for an organisation moving over from another
/// platform. Every row is checked with the registration rules, against the other rows and against
/// the database; one bad row and nothing is imported. Given an organisation, everyone imported
/// becomes its member. Imported volunteers have no account until they register themselves with
/// the same document and mobile number.
/// </summary>
public sealed class VolunteerImport(
    AppDbContext db,
    AuditLog audit,
    PersonalData personalData,
    VolunteerRules rules,
    VolunteerUseCases volunteers,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    public const int MaxRows = 100_000;
    public const long MaxFileBytes = 20 * 1024 * 1024;

    /// <summary>The columns, by the header names people use; the Chinese ones are what the template has.</summary>
    static readonly (string Field, string[] Headers, bool Required)[] Columns =
    [
        ("name", ["姓名", "Name"], true),
        ("documentType", ["证件类型", "DocumentType"], true),
        ("documentNumber", ["证件号码", "DocumentNumber"], true),
        ("mobile", ["手机号码", "Mobile"], true),
        ("gender", ["性别", "Gender"], false),
        ("birthDate", ["出生日期", "BirthDate"], false),
        ("unitCode", ["所属单位代码", "UnitCode"], false),
        ("skills", ["技能特长", "Skills"], false),
        ("serviceLines", ["服务意向", "ServiceLines"], false),
        ("guardianName", ["监护人姓名", "GuardianName"], false),
    ];

    /// <summary>The header row of the template offered for download.</summary>
    public static string TemplateCsv => "\uFEFF" + string.Join(",", Columns.Select(c => c.Headers[0])) + "\r\n";

    /// <param name="scope">The units the caller may place volunteers in.</param>
    /// <param name="unitCode">The unit of rows that name none; empty means the scope's own unit.</param>
    /// <param name="organizationId">An organisation in the scope that everyone imported joins, or null.</param>
    public async Task<ImportResult> ImportAsync(UnitScope scope, string? unitCode, Guid? organizationId, Stream file, string fileName, CancellationToken cancellationToken = default)
    {
        unitCode = (unitCode ?? "").Trim();
        var defaultUnit = await scope.Filter(db.Units).AsNoTracking()
            .SingleOrDefaultAsync(u => (unitCode.Length == 0 ? u.Id == scope.RootId : u.Code == unitCode) && u.IsActive, cancellationToken);
        if (defaultUnit is null)
        {
            return Failed(unitCode.Length == 0 ? text["Validation.Required", text["Volunteers.Field.Unit"]] : text["Units.Error.UnknownCode", unitCode]);
        }
        var organization = organizationId is null ? null : await db.Organizations.AsNoTracking()
            .SingleOrDefaultAsync(o => o.Id == organizationId && o.Status == OrganizationStatus.Approved && o.Unit!.Path.StartsWith(scope.RootPath), cancellationToken);
        if (organizationId is not null && organization is null)
        {
            return Failed(text["Problem.NotFound"]);
        }
        var unitsByCode = await scope.Filter(db.Units).AsNoTracking().Where(u => u.IsActive)
            .ToDictionaryAsync(u => u.Code, u => u.Id, StringComparer.OrdinalIgnoreCase, cancellationToken);

        var errors = new List<ImportError>();
        List<CheckedRow> rows;
        // One of few reads at a time in the process, so many hostile files at once stay bounded too.
        using (var turn = await SpreadsheetReader.TakeTurnAsync(cancellationToken))
        {
            if (turn is null)
            {
                return Failed(text["Import.Error.Busy"]);
            }
            try
            {
                rows = Check(SpreadsheetReader.Read(file, fileName, MaxRows), defaultUnit.Id, unitsByCode, errors);
            }
            catch (SpreadsheetException refused)
            {
                return Failed(text[refused.ReasonKey, refused.Arguments]);
            }
        }
        if (errors.Count == 0 && rows.Count == 0)
        {
            return Failed(text["Import.Error.NoRows"]);
        }
        if (errors.Count == 0)
        {
            await FindRegisteredAsync(rows, errors, cancellationToken);
        }
        if (errors.Count > 0)
        {
            return new ImportResult(0, null, errors);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var first = await VolunteerUseCases.ReserveNumbersAsync(db, rows.Count, cancellationToken);
        try
        {
            var ids = await InsertAsync(Build(rows, first), cancellationToken);
            if (organization is not null)
            {
                await InsertMembershipsAsync(organization.Id, ids, cancellationToken);
            }
        }
        catch (DbException) when (!cancellationToken.IsCancellationRequested)
        {
            // A registration of the same person slipped in between the check and the insert.
            return Failed(text["Import.Error.Concurrent"]);
        }
        audit.Add("volunteer.import", organization?.UnitId ?? defaultUnit.Id, organization?.Name ?? defaultUnit.Code,
            text["Import.AuditDetails", rows.Count, Path.GetFileName(fileName)]);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ImportResult(rows.Count, null, []);
    }

    static ImportResult Failed(string reason) => new(0, reason, []);

    /// <summary>A row that passed every check, with the keyed hashes the duplicate checks use.</summary>
    sealed record CheckedRow(int Row, CheckedVolunteer Valid, Guid UnitId, byte[] DocumentHash, byte[] PhoneHash);

    /// <summary>Checks every row; returns them all when none failed (and nothing worth keeping otherwise).</summary>
    List<CheckedRow> Check(IEnumerable<SpreadsheetRow> sheet, Guid defaultUnitId, Dictionary<string, Guid> unitsByCode, List<ImportError> errors)
    {
        var checkedRows = new List<CheckedRow>();
        using var enumerator = sheet.GetEnumerator();
        var header = NextNonEmpty(enumerator) ?? throw new SpreadsheetException("Import.Error.NoRows");
        var positions = ReadHeader(header);
        var today = ChinaTime.Today(time);
        var seenDocuments = new Dictionary<string, int>();
        var seenPhones = new Dictionary<string, int>();
        while (enumerator.MoveNext())
        {
            var row = enumerator.Current;
            if (row.IsEmpty)
            {
                continue;
            }
            string Cell(string field) => positions.TryGetValue(field, out var i) && i < row.Cells.Length ? row.Cells[i] : "";
            var rowErrors = new FieldErrors();
            for (var i = 0; i < row.Cells.Length; i++)
            {
                if (row.IsFormula[i])
                {
                    rowErrors.Add(FieldAt(positions, i), text["Import.Error.Formula"]);
                }
                else if (row.IsTooLong[i])
                {
                    rowErrors.Add(FieldAt(positions, i), text["Import.Error.CellTooLong", SpreadsheetReader.MaxCellLength]);
                }
            }
            var guardian = Cell("guardianName");
            var input = new VolunteerInput(Cell("name"), Cell("documentType"), Cell("documentNumber"), Cell("gender"), ExcelDate(Cell("birthDate")),
                Cell("mobile"), Cell("skills"), Cell("serviceLines").Split([',', '，', '、', ';', '；'], StringSplitOptions.RemoveEmptyEntries),
                guardian, GuardianConsent: guardian.Length > 0);
            var valid = rules.Check(input, today, rowErrors);
            var unitCode = Cell("unitCode");
            var unitId = defaultUnitId;
            if (unitCode.Length > 0 && !unitsByCode.TryGetValue(unitCode, out unitId))
            {
                rowErrors.Add("unitCode", text["Units.Error.UnknownCode", unitCode]);
            }
            if (valid is not null && !rowErrors.Any)
            {
                var documentKey = valid.Document.Type + ":" + valid.Document.Number;
                if (seenDocuments.TryGetValue(documentKey, out var earlier))
                {
                    rowErrors.Add("documentNumber", text["Import.Error.DuplicateInFile", earlier]);
                }
                else if (seenPhones.TryGetValue(valid.Mobile, out earlier))
                {
                    rowErrors.Add("mobile", text["Import.Error.DuplicateInFile", earlier]);
                }
                else
                {
                    seenDocuments[documentKey] = row.Number;
                    seenPhones[valid.Mobile] = row.Number;
                    if (errors.Count == 0)
                    {
                        // Once a row has failed nothing will be saved, so stop collecting.
                        checkedRows.Add(new CheckedRow(row.Number, valid, unitId,
                            personalData.Hash(VolunteerUseCases.DocumentHashKind, documentKey), personalData.Hash(VolunteerUseCases.PhoneHashKind, valid.Mobile)));
                    }
                }
            }
            foreach (var (field, messages) in rowErrors.ToDictionary())
            {
                errors.AddRange(messages.Select(m => new ImportError(row.Number, HeaderOf(field), m)));
            }
        }
        return errors.Count > 0 ? [] : checkedRows;
    }

    /// <summary>
    /// The volunteers to insert, made a chunk at a time on both cores (encrypting is most of the
    /// work) while the database takes in the chunk before.
    /// </summary>
    IEnumerable<Volunteer> Build(List<CheckedRow> rows, long firstNumber)
    {
        const int chunk = 2_000;
        for (var start = 0; start < rows.Count; start += chunk)
        {
            var built = new Volunteer[Math.Min(chunk, rows.Count - start)];
            var offset = start;
            Parallel.For(0, built.Length, i =>
            {
                var row = rows[offset + i];
                built[i] = volunteers.NewVolunteer(row.Valid, row.DocumentHash, row.PhoneHash, row.UnitId, firstNumber + offset + i);
            });
            foreach (var volunteer in built)
            {
                yield return volunteer;
            }
        }
    }

    async Task FindRegisteredAsync(List<CheckedRow> rows, List<ImportError> errors, CancellationToken cancellationToken)
    {
        const int chunk = 10_000;
        var documentRows = rows.ToDictionary(r => Convert.ToHexString(r.DocumentHash), r => r.Row);
        var phoneRows = rows.ToDictionary(r => Convert.ToHexString(r.PhoneHash), r => r.Row);
        for (var start = 0; start < rows.Count; start += chunk)
        {
            var documentHashes = rows.GetRange(start, Math.Min(chunk, rows.Count - start)).Select(r => r.DocumentHash).ToList();
            var phoneHashes = rows.GetRange(start, Math.Min(chunk, rows.Count - start)).Select(r => r.PhoneHash).ToList();
            foreach (var hash in await db.Volunteers.Where(v => documentHashes.Contains(v.DocumentHash)).Select(v => v.DocumentHash).ToListAsync(cancellationToken))
            {
                errors.Add(new ImportError(documentRows[Convert.ToHexString(hash)], HeaderOf("documentNumber"), text["Volunteers.Error.AlreadyRegistered"]));
            }
            foreach (var hash in await db.Volunteers.Where(v => phoneHashes.Contains(v.PhoneHash)).Select(v => v.PhoneHash).ToListAsync(cancellationToken))
            {
                errors.Add(new ImportError(phoneRows[Convert.ToHexString(hash)], HeaderOf("mobile"), text["Volunteers.Error.MobileTaken"]));
            }
        }
        errors.Sort((a, b) => a.Row.CompareTo(b.Row));
    }

    static SpreadsheetRow? NextNonEmpty(IEnumerator<SpreadsheetRow> rows)
    {
        while (rows.MoveNext())
        {
            if (!rows.Current.IsEmpty)
            {
                return rows.Current;
            }
        }
        return null;
    }

    /// <summary>Maps each known column to its position; an unknown or missing column refuses the whole file.</summary>
    static Dictionary<string, int> ReadHeader(SpreadsheetRow header)
    {
        var positions = new Dictionary<string, int>();
        for (var i = 0; i < header.Cells.Length; i++)
        {
            var name = header.Cells[i].Trim();
            if (name.Length == 0)
            {
                continue;
            }
            var column = Columns.FirstOrDefault(c => c.Headers.Contains(name, StringComparer.OrdinalIgnoreCase));
            if (column.Field is null)
            {
                throw new SpreadsheetException("Import.Error.UnknownColumn", name.Length > 30 ? name[..30] + "…" : name, string.Join("、", Columns.Select(c => c.Headers[0])));
            }
            if (!positions.TryAdd(column.Field, i))
            {
                throw new SpreadsheetException("Import.Error.RepeatedColumn", name);
            }
        }
        var missing = Columns.Where(c => c.Required && !positions.ContainsKey(c.Field)).Select(c => c.Headers[0]).ToList();
        if (missing.Count > 0)
        {
            throw new SpreadsheetException("Import.Error.MissingColumns", string.Join("、", missing));
        }
        return positions;
    }

    static string HeaderOf(string field) => Columns.FirstOrDefault(c => c.Field.Equals(field, StringComparison.OrdinalIgnoreCase)).Headers?[0] ?? field;

    static string FieldAt(Dictionary<string, int> positions, int index) => positions.FirstOrDefault(p => p.Value == index).Key ?? "";

    /// <summary>A date cell Excel stored as a day count (1900 system) becomes yyyy-MM-dd.</summary>
    static string ExcelDate(string value) =>
        value.Length is > 0 and <= 5 && int.TryParse(value, out var days) ? new DateOnly(1899, 12, 30).AddDays(days).ToString("yyyy-MM-dd") : value;

    /// <summary>
    /// Inserts the checked rows in the caller's transaction: PostgreSQL's binary COPY, or one prepared
    /// statement run per row on SQLite. Both are many times faster than tracking 100,000 entities.
    /// </summary>
    internal async Task<List<Guid>> InsertAsync(IEnumerable<Volunteer> rows, CancellationToken cancellationToken)
    {
        var ids = new List<Guid>();
        var connection = db.Database.GetDbConnection();
        if (connection is NpgsqlConnection postgres)
        {
            await using var copy = await postgres.BeginBinaryImportAsync(
                $"COPY \"Volunteers\" ({string.Join(", ", InsertedColumns.Select(c => '"' + c + '"'))}) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var v in rows)
            {
                ids.Add(v.Id);
                copy.StartRow();
                copy.Write(v.Id, NpgsqlDbType.Uuid);
                copy.Write(v.Number, NpgsqlDbType.Varchar);
                copy.Write(v.Name, NpgsqlDbType.Varchar);
                copy.Write(v.DocumentType.ToString(), NpgsqlDbType.Varchar);
                copy.Write(v.DocumentCipher, NpgsqlDbType.Bytea);
                copy.Write(v.DocumentHash, NpgsqlDbType.Bytea);
                copy.Write(v.DocumentMasked, NpgsqlDbType.Varchar);
                copy.Write(v.Gender.ToString(), NpgsqlDbType.Varchar);
                copy.Write(v.BirthDate, NpgsqlDbType.Date);
                copy.Write(v.PhoneCipher, NpgsqlDbType.Bytea);
                copy.Write(v.PhoneHash, NpgsqlDbType.Bytea);
                copy.Write(v.PhoneMasked, NpgsqlDbType.Varchar);
                copy.Write(v.PhoneLast4, NpgsqlDbType.Varchar);
                copy.Write(v.UnitId, NpgsqlDbType.Uuid);
                copy.Write(v.Skills, NpgsqlDbType.Varchar);
                copy.Write((int)v.ServiceLines, NpgsqlDbType.Integer);
                if (v.GuardianName is null)
                {
                    copy.WriteNull();
                    copy.WriteNull();
                }
                else
                {
                    copy.Write(v.GuardianName, NpgsqlDbType.Varchar);
                    copy.Write(v.GuardianConsentAtUtc!.Value, NpgsqlDbType.TimestampTz);
                }
                copy.Write(v.RegisteredAtUtc, NpgsqlDbType.TimestampTz);
                copy.Write(v.CertificateCode, NpgsqlDbType.Varchar);
                copy.Write(0, NpgsqlDbType.Integer);
            }
            await copy.CompleteAsync(cancellationToken);
            return ids;
        }

        await using var insert = connection.CreateCommand();
        insert.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        insert.CommandText = $"INSERT INTO \"Volunteers\" ({string.Join(", ", InsertedColumns.Select(c => '"' + c + '"'))}) VALUES ({string.Join(", ", InsertedColumns.Select(c => "@" + c))})";
        var parameters = InsertedColumns.ToDictionary(c => c, c =>
        {
            var parameter = new SqliteParameter { ParameterName = "@" + c };
            insert.Parameters.Add(parameter);
            return parameter;
        });
        insert.Prepare();
        foreach (var v in rows)
        {
            ids.Add(v.Id);
            // The text forms match what EF Core's SQLite provider writes for these types.
            parameters["Id"].Value = v.Id.ToString().ToUpperInvariant();
            parameters["Number"].Value = v.Number;
            parameters["Name"].Value = v.Name;
            parameters["DocumentType"].Value = v.DocumentType.ToString();
            parameters["DocumentCipher"].Value = v.DocumentCipher;
            parameters["DocumentHash"].Value = v.DocumentHash;
            parameters["DocumentMasked"].Value = v.DocumentMasked;
            parameters["Gender"].Value = v.Gender.ToString();
            parameters["BirthDate"].Value = v.BirthDate.ToString("yyyy-MM-dd");
            parameters["PhoneCipher"].Value = v.PhoneCipher;
            parameters["PhoneHash"].Value = v.PhoneHash;
            parameters["PhoneMasked"].Value = v.PhoneMasked;
            parameters["PhoneLast4"].Value = v.PhoneLast4;
            parameters["UnitId"].Value = v.UnitId.ToString().ToUpperInvariant();
            parameters["Skills"].Value = v.Skills;
            parameters["ServiceLines"].Value = (int)v.ServiceLines;
            parameters["GuardianName"].Value = (object?)v.GuardianName ?? DBNull.Value;
            parameters["GuardianConsentAtUtc"].Value = v.GuardianConsentAtUtc is { } at ? at.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF") : DBNull.Value;
            parameters["RegisteredAtUtc"].Value = v.RegisteredAtUtc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF");
            parameters["CertificateCode"].Value = v.CertificateCode;
            parameters["StarLevel"].Value = 0;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        return ids;
    }

    /// <summary>Everyone imported joins the organisation, approved by the import itself.</summary>
    async Task InsertMembershipsAsync(Guid organizationId, IEnumerable<Guid> volunteerIds, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var decidedBy = audit.ActorName;
        var connection = db.Database.GetDbConnection();
        if (connection is NpgsqlConnection postgres)
        {
            await using var copy = await postgres.BeginBinaryImportAsync(
                """COPY "Memberships" ("Id", "OrganizationId", "VolunteerId", "Status", "AppliedAtUtc", "DecidedAtUtc", "DecidedBy") FROM STDIN (FORMAT BINARY)""", cancellationToken);
            foreach (var volunteerId in volunteerIds)
            {
                copy.StartRow();
                copy.Write(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                copy.Write(organizationId, NpgsqlDbType.Uuid);
                copy.Write(volunteerId, NpgsqlDbType.Uuid);
                copy.Write(nameof(MembershipStatus.Approved), NpgsqlDbType.Varchar);
                copy.Write(now, NpgsqlDbType.TimestampTz);
                copy.Write(now, NpgsqlDbType.TimestampTz);
                copy.Write(decidedBy, NpgsqlDbType.Varchar);
            }
            await copy.CompleteAsync(cancellationToken);
            return;
        }
        await using var insert = connection.CreateCommand();
        insert.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        insert.CommandText = """
            INSERT INTO "Memberships" ("Id", "OrganizationId", "VolunteerId", "Status", "AppliedAtUtc", "DecidedAtUtc", "DecidedBy")
            VALUES (@id, @organization, @volunteer, 'Approved', @now, @now, @by)
            """;
        var id = new SqliteParameter("@id", "");
        var volunteer = new SqliteParameter("@volunteer", "");
        insert.Parameters.AddRange(new[] { id, volunteer, new SqliteParameter("@organization", organizationId.ToString().ToUpperInvariant()),
            new SqliteParameter("@now", now.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF")), new SqliteParameter("@by", decidedBy) });
        insert.Prepare();
        foreach (var volunteerId in volunteerIds)
        {
            id.Value = Guid.CreateVersion7().ToString().ToUpperInvariant();
            volunteer.Value = volunteerId.ToString().ToUpperInvariant();
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    static readonly string[] InsertedColumns =
    [
        "Id", "Number", "Name", "DocumentType", "DocumentCipher", "DocumentHash", "DocumentMasked", "Gender", "BirthDate",
        "PhoneCipher", "PhoneHash", "PhoneMasked", "PhoneLast4", "UnitId", "Skills", "ServiceLines", "GuardianName",
        "GuardianConsentAtUtc", "RegisteredAtUtc", "CertificateCode", "StarLevel",
    ];
}
