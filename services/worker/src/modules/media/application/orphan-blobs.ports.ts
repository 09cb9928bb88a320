/** A stored file as the sweep sees it. */
export interface StoredFile {
  id: string;
  ownerId: string;
  sizeBytes: number;
  createdAt: Date;
}

/** One page of the blob store's files, the oldest first, and where the next page starts (none at the end). */
export interface StoredFilePage {
  files: StoredFile[];
  next: string | undefined;
}

/** The blob store's files by age, and their deletion (data-mongo). */
export interface BlobInventory {
  /** Up to `limit` files created before `before`, the oldest first, from the opaque position `from`. */
  listCreatedBefore(before: Date, limit: number, from?: string): Promise<StoredFilePage>;
  /** `false` when the file was already gone. */
  delete(id: string): Promise<boolean>;
}

/** Which files something of ours still needs (data-postgres: jobs, and documents through their jobs). */
export interface BlobReferenceCheck {
  referenced(ids: readonly string[]): Promise<ReadonlySet<string>>;
}

/** Where the previous run stopped, so the store is walked a slice at a time across runs. */
export interface SweepPosition {
  load(): Promise<string | undefined>;
  /** `undefined`: the end was reached; the next run starts from the oldest file again. */
  save(position: string | undefined): Promise<void>;
}
