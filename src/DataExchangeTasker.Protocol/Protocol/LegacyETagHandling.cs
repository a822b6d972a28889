namespace DataExchangeTasker.Protocol;

/// <summary>
/// What the tasker does with a <c>codeHash.eTag</c> that is not a sha256 code hash, such as the WebDAV ETag the
/// Scala tasker's publishers sent (<c>TASKER_LEGACY_ETAG</c>).
/// </summary>
public enum LegacyETagHandling
{
    /// <summary>Answer <c>rejected</c>/<c>hash_mismatch</c> with a message that names the fix; the code does not run.</summary>
    Reject,

    /// <summary>
    /// Treat it as absent: the code is then <em>not</em> verified against what the publisher approved; only
    /// <c>TASKER_APPROVALS_FILE</c> (or <c>TASKER_REQUIRE_CODE_HASH=true</c>, which then rejects it) still guards it.
    /// </summary>
    Ignore,
}
