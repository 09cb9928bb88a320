/**
 * @packageDocumentation
 * Flotilla's knowledge base: ingestion (extraction, splitting, embedding, ChromaDB upsert) run by the
 * worker, and the `ask` use case shared by the api and the bot.
 */
export {};
