/** Base of the master's errors: a stable `code` for tests and callers. */
export class MasterError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A private key file that others can read: the master refuses to start. */
export class InsecureKeyFileError extends MasterError {
  constructor(file: string, mode: number) {
    super(
      'ERR_MASTER_KEY_PERMISSIONS',
      `${file} has mode ${mode.toString(8)}; private keys must be 0600 (chmod 600 ${file})`,
    );
  }
}

/** A config file or flag that does not validate. */
export class ConfigError extends MasterError {
  constructor(message: string) {
    super('ERR_MASTER_CONFIG', message);
  }
}
