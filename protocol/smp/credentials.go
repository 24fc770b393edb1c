package smp

// CheckCredentials applies the reference server's rules on which commands
// need an authorization and an entity ID, before any key is looked up
// [MP checkCredentials for Command, CONFORMANCE-NOTES §3]:
//
//	NEW                 authorization, no entity   (else CMD NO_AUTH / CMD HAS_AUTH)
//	SEND                entity; authorization optional (else CMD NO_ENTITY)
//	PING, PRXY, RFWD    neither                    (else CMD HAS_AUTH)
//	LGET, PFWD          entity, no authorization   (CMD NO_ENTITY / CMD HAS_AUTH)
//	everything else     both                       (else CMD NO_AUTH)
//
// hasAuth reports whether the transmission's authorization was non-empty.
// It returns nil or an ErrorType (to be sent with the transmission's corrId
// and entity ID).
func CheckCredentials(c Command, hasAuth bool, entityID []byte) error {
	hasEntity := len(entityID) > 0
	switch c.(type) {
	case NEW:
		if !hasAuth {
			return ErrCmdNoAuth
		}
		if hasEntity {
			return ErrCmdHasAuth
		}
		return nil
	case SEND:
		if !hasEntity {
			return ErrCmdNoEntity
		}
		return nil
	case PING, PRXY, RFWD:
		if hasAuth || hasEntity {
			return ErrCmdHasAuth
		}
		return nil
	case LGET, PFWD:
		if !hasEntity {
			return ErrCmdNoEntity
		}
		if hasAuth {
			return ErrCmdHasAuth
		}
		return nil
	}
	if !hasAuth || !hasEntity {
		return ErrCmdNoAuth
	}
	return nil
}

// CheckMessageCredentials applies the reference client's rules on entity
// IDs of server messages [MP checkCredentials for BrokerMsg]: IDS and ERR
// may have any entity; PONG, PKEY and RRES must have none (else CMD
// HAS_AUTH); all others need one (else CMD NO_ENTITY).
func CheckMessageCredentials(m Message, entityID []byte) error {
	hasEntity := len(entityID) > 0
	switch m.(type) {
	case IDS, ERR:
		return nil
	case PONG, PKEY, RRES:
		if hasEntity {
			return ErrCmdHasAuth
		}
		return nil
	}
	if !hasEntity {
		return ErrCmdNoEntity
	}
	return nil
}
