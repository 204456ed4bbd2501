using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

/// <summary>
/// Rows streamed into one table, column by column in the order given when it was opened: PostgreSQL's
/// binary COPY on a connection of its own, or one prepared INSERT per row on SQLite inside the
/// caller's transaction. Values are written in the forms EF Core's providers use (on SQLite: GUIDs
/// as upper-case text, times as "yyyy-MM-dd HH:mm:ss.FFFFFFF" text); every DateTime must be UTC.
/// </summary>
abstract class BulkTable : IAsyncDisposable
{
    public long Rows { get; protected set; }

    public abstract void StartRow();

    public abstract void Uuid(Guid value);

    public abstract void UuidOrNull(Guid? value);

    public abstract void Text(string? value);

    public abstract void Int(int value);

    public abstract void IntOrNull(int? value);

    public abstract void Long(long value);

    public abstract void Bool(bool value);

    public abstract void Time(DateTime value);

    public abstract void TimeOrNull(DateTime? value);

    public abstract void Bytes(byte[] value);

    public abstract void DoubleOrNull(double? value);

    public abstract void Decimal(decimal value);

    /// <summary>Ends the row (on SQLite this runs the insert).</summary>
    public abstract void EndRow();

    public abstract Task CompleteAsync();

    public abstract ValueTask DisposeAsync();

    protected static string ColumnList(string[] columns) => string.Join(", ", columns.Select(c => '"' + c + '"'));
}

sealed class CopyTable : BulkTable
{
    readonly NpgsqlConnection connection;
    readonly NpgsqlBinaryImporter copy;

    CopyTable(NpgsqlConnection connection, NpgsqlBinaryImporter copy)
    {
        this.connection = connection;
        this.copy = copy;
    }

    /// <summary>A COPY on a new connection: several tables can be filled at the same time.</summary>
    public static async Task<BulkTable> OpenAsync(string connectionString, string table, string[] columns)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var copy = await connection.BeginBinaryImportAsync($"COPY \"{table}\" ({ColumnList(columns)}) FROM STDIN (FORMAT BINARY)");
        return new CopyTable(connection, copy);
    }

    public override void StartRow() => copy.StartRow();

    public override void Uuid(Guid value) => copy.Write(value, NpgsqlDbType.Uuid);

    public override void UuidOrNull(Guid? value)
    {
        if (value is { } v)
        {
            copy.Write(v, NpgsqlDbType.Uuid);
        }
        else
        {
            copy.WriteNull();
        }
    }

    public override void Text(string? value)
    {
        if (value is null)
        {
            copy.WriteNull();
        }
        else
        {
            copy.Write(value, NpgsqlDbType.Varchar);
        }
    }

    public override void Int(int value) => copy.Write(value, NpgsqlDbType.Integer);

    public override void IntOrNull(int? value)
    {
        if (value is { } v)
        {
            copy.Write(v, NpgsqlDbType.Integer);
        }
        else
        {
            copy.WriteNull();
        }
    }

    public override void Long(long value) => copy.Write(value, NpgsqlDbType.Bigint);

    public override void Bool(bool value) => copy.Write(value, NpgsqlDbType.Boolean);

    public override void Time(DateTime value) => copy.Write(value, NpgsqlDbType.TimestampTz);

    public override void TimeOrNull(DateTime? value)
    {
        if (value is { } v)
        {
            copy.Write(v, NpgsqlDbType.TimestampTz);
        }
        else
        {
            copy.WriteNull();
        }
    }

    public override void Bytes(byte[] value) => copy.Write(value, NpgsqlDbType.Bytea);

    public override void DoubleOrNull(double? value)
    {
        if (value is { } v)
        {
            copy.Write(v, NpgsqlDbType.Double);
        }
        else
        {
            copy.WriteNull();
        }
    }

    public override void Decimal(decimal value) => copy.Write(value, NpgsqlDbType.Numeric);

    public override void EndRow() => Rows++;

    public override async Task CompleteAsync() => await copy.CompleteAsync();

    public override async ValueTask DisposeAsync()
    {
        await copy.DisposeAsync();
        await connection.DisposeAsync();
    }
}

sealed class InsertTable : BulkTable
{
    readonly SqliteCommand insert;
    int column;

    InsertTable(SqliteCommand insert) => this.insert = insert;

    public static BulkTable Open(SqliteConnection connection, SqliteTransaction transaction, string table, string[] columns)
    {
        var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"INSERT INTO \"{table}\" ({ColumnList(columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})";
        for (var i = 0; i < columns.Length; i++)
        {
            insert.Parameters.Add(new SqliteParameter("@p" + i, DBNull.Value));
        }
        insert.Prepare();
        return new InsertTable(insert);
    }

    void Set(object? value) => insert.Parameters[column++].Value = value ?? DBNull.Value;

    public override void StartRow() => column = 0;

    public override void Uuid(Guid value) => Set(value.ToString().ToUpperInvariant());

    public override void UuidOrNull(Guid? value) => Set(value?.ToString().ToUpperInvariant());

    public override void Text(string? value) => Set(value);

    public override void Int(int value) => Set(value);

    public override void IntOrNull(int? value) => Set(value);

    public override void Long(long value) => Set(value);

    public override void Bool(bool value) => Set(value ? 1 : 0);

    public override void Time(DateTime value) => Set(value.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF"));

    public override void TimeOrNull(DateTime? value) => Set(value?.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF"));

    public override void Bytes(byte[] value) => Set(value);

    public override void DoubleOrNull(double? value) => Set(value);

    // Microsoft.Data.Sqlite binds a decimal as text, as EF Core stores it.
    public override void Decimal(decimal value) => Set(value);

    public override void EndRow()
    {
        insert.ExecuteNonQuery();
        Rows++;
    }

    public override Task CompleteAsync() => Task.CompletedTask;

    public override ValueTask DisposeAsync()
    {
        insert.Dispose();
        return ValueTask.CompletedTask;
    }
}
