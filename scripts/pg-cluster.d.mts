/** A throwaway PostgreSQL cluster for tests; see pg-cluster.mjs. */
export interface PgCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  url: string;
  port: number;
  dir: string;
  /** Stops the server and removes its folder (synchronous, safe in an `exit` handler). */
  stop(): void;
}
export declare function findPgBin(): string | null;
export declare function startPgCluster(): Promise<PgCluster>;
