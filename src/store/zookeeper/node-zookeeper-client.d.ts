// Types for the parts of node-zookeeper-client (1.1, plain JS) this backend uses.
declare module 'node-zookeeper-client' {
  import { EventEmitter } from 'node:events';

  export interface Stat {
    readonly czxid: Buffer;
    readonly mzxid: Buffer;
    readonly version: number;
    readonly cversion: number;
    readonly ephemeralOwner: Buffer;
    readonly dataLength: number;
    readonly numChildren: number;
    readonly pzxid: Buffer;
  }

  export class Exception extends Error {
    static readonly OK: 0;
    static readonly CONNECTION_LOSS: -4;
    static readonly OPERATION_TIMEOUT: -7;
    static readonly NO_NODE: -101;
    static readonly BAD_VERSION: -103;
    static readonly NO_CHILDREN_FOR_EPHEMERALS: -108;
    static readonly NODE_EXISTS: -110;
    static readonly NOT_EMPTY: -111;
    static readonly SESSION_EXPIRED: -112;
    getCode(): number;
    getName(): string;
  }

  export class State {
    static readonly DISCONNECTED: State;
    static readonly SYNC_CONNECTED: State;
    static readonly EXPIRED: State;
    getName(): string;
    getCode(): number;
  }

  export class Event {
    static readonly NODE_CREATED: 1;
    static readonly NODE_DELETED: 2;
    static readonly NODE_DATA_CHANGED: 3;
    static readonly NODE_CHILDREN_CHANGED: 4;
    getType(): number;
    getName(): string;
    getPath(): string;
  }

  export const CreateMode: { readonly PERSISTENT: 0; readonly EPHEMERAL: 1 };

  export interface OpResult {
    readonly type: number;
    readonly err?: number;
    readonly path?: string;
    readonly stat?: Stat;
  }

  export interface Transaction {
    create(path: string, data: Buffer | null, mode: number): Transaction;
    setData(path: string, data: Buffer | null, version: number): Transaction;
    check(path: string, version: number): Transaction;
    remove(path: string, version: number): Transaction;
    commit(callback: (error: Exception | null, results: OpResult[]) => void): void;
  }

  export interface ClientOptions {
    readonly sessionTimeout?: number;
    readonly spinDelay?: number;
    readonly retries?: number;
    readonly sessionId?: Buffer;
    readonly sessionPassword?: Buffer;
  }

  export type Watcher = (event: Event) => void;

  export interface Client extends EventEmitter {
    connect(): void;
    close(): void;
    getState(): State;
    getSessionId(): Buffer;
    getSessionPassword(): Buffer;
    getSessionTimeout(): number;
    create(path: string, data: Buffer | null, mode: number, callback: (error: Exception | null, path: string) => void): void;
    remove(path: string, version: number, callback: (error: Exception | null) => void): void;
    setData(path: string, data: Buffer | null, version: number, callback: (error: Exception | null, stat: Stat) => void): void;
    getData(path: string, watcher: Watcher | undefined, callback: (error: Exception | null, data: Buffer | undefined, stat: Stat) => void): void;
    exists(path: string, watcher: Watcher | undefined, callback: (error: Exception | null, stat: Stat | null) => void): void;
    getChildren(path: string, watcher: Watcher | undefined, callback: (error: Exception | null, children: string[], stat: Stat) => void): void;
    transaction(): Transaction;
  }

  export function createClient(connectionString: string, options?: ClientOptions): Client;

  const zookeeper: {
    createClient: typeof createClient;
    CreateMode: typeof CreateMode;
    Exception: typeof Exception;
    State: typeof State;
    Event: typeof Event;
  };
  export default zookeeper;
}
