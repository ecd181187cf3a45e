"""A domain as `build_app` sees it: a name, its set-up, and the domains it needs.

`set_up` runs the set-ups so that every domain comes after the ones it needs
(in the listed order otherwise) and refuses a list that lacks a needed domain
or goes round in a circle: the only order between set-ups is the declared one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True)
class Domain:
    """One domain package's entry in the hub: `setup(app)` after the domains it `needs`."""

    name: str
    setup: Callable[[web.Application], None]
    needs: tuple[str, ...] = ()


def set_up_order(domains: Sequence[Domain]) -> list[Domain]:
    """`domains` with every one after those it needs; ValueError for a gap or a circle."""
    by_name = {d.name: d for d in domains}
    done: list[Domain] = []
    visiting: set[str] = set()

    def visit(domain: Domain) -> None:
        if domain in done:
            return
        if domain.name in visiting:
            raise ValueError(f"domain {domain.name} needs itself through {sorted(visiting)}")
        visiting.add(domain.name)
        for need in domain.needs:
            if need not in by_name:
                raise ValueError(f"domain {domain.name} needs {need}, which is not in the hub")
            visit(by_name[need])
        visiting.discard(domain.name)
        done.append(domain)

    for domain in domains:
        visit(domain)
    return done


def set_up(app: web.Application, domains: Sequence[Domain]) -> None:
    """Set every domain up on `app`, dependencies first."""
    for domain in set_up_order(domains):
        domain.setup(app)
