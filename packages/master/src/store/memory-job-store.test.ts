import { describeJobStoreContract } from './job-store.contract.js';
import { openMemoryJobStore } from './memory-job-store.js';

describeJobStoreContract('memory store', openMemoryJobStore);
