/**
 * The control plane's one error class. It carries a stable code from protocol's ERROR_CODES so the HTTP
 * layer can map it to a status in a single place (app.onError) and ingest can count rejections by code.
 */
import { EdgefleetError } from '@edgefleet/protocol';

export class ControlPlaneError extends EdgefleetError {}
