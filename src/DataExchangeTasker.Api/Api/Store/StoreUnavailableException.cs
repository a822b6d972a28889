namespace DataExchangeTasker.Api.Store;

/// <summary>The database did not answer or refused a statement: an infrastructure failure at the store's boundary.</summary>
internal sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);
