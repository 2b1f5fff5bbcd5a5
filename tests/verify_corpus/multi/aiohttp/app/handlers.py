from aiohttp import web

from app import store

routes = web.RouteTableDef()


@routes.get("/notes")
async def list_notes(request: web.Request) -> web.Response:
    return web.json_response(store.all_notes())


@routes.post("/notes")
async def create_note(request: web.Request) -> web.Response:
    data = await request.json()
    return web.json_response({"id": store.add(data["title"], data.get("body"))}, status=201)


@routes.get("/notes/{note_id}")
async def get_note(request: web.Request) -> web.Response:
    note = store.one(int(request.match_info["note_id"]))
    return web.json_response(note) if note else web.json_response({"error": "not found"}, status=404)


@routes.delete("/notes/{note_id}")
async def delete_note(request: web.Request) -> web.Response:
    gone = store.remove(int(request.match_info["note_id"]))
    return web.Response(status=204) if gone else web.json_response({"error": "not found"}, status=404)
