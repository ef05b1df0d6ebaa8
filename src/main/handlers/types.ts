import type { Channel, ParsedReq, Res } from '../../shared/contract'
import type { BackendContext } from '../context'

export type Handler<C extends Channel> = (req: ParsedReq<C>, ctx: BackendContext) => Res<C> | Promise<Res<C>>
/** Every channel of the contract must have exactly one handler; TypeScript checks completeness. */
export type Handlers = { [C in Channel]: Handler<C> }
export type HandlersOf<K extends Channel> = { [C in K]: Handler<C> }
