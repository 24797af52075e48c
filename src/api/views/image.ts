// Images as Docker JSON: `image ls` items (image.Summary) and `image inspect` (image.InspectResponse)
// in moby's field order, since inspect output is the raw bytes re-indented.

import { arch } from 'node:os';
import type { ImageRecord } from '../backend.js';

const goArch = () => ({ x64: 'amd64', ia32: '386' })[arch() as 'x64' | 'ia32'] ?? arch();
const unixSeconds = (rfc3339: string) => Math.floor(Date.parse(rfc3339) / 1000);

export function imageSummary(i: ImageRecord) {
  return {
    Id: i.id,
    ParentId: '',
    RepoTags: [...i.repoTags],
    RepoDigests: [],
    Created: unixSeconds(i.created),
    Size: i.size,
    SharedSize: -1,
    Labels: i.config.Labels ? { ...i.config.Labels } : null,
    Containers: -1,
  };
}

/** An image's config in the shape of moby's container.Config, as `docker image inspect` shows it. */
function imageConfig(i: ImageRecord) {
  const c = i.config;
  return {
    Hostname: '',
    Domainname: '',
    User: c.User,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.Env,
    Cmd: c.Cmd,
    Image: '',
    Volumes: c.Volumes,
    WorkingDir: c.WorkingDir,
    Entrypoint: c.Entrypoint,
    OnBuild: c.OnBuild,
    Labels: c.Labels,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
  };
}

export function imageToDocker(i: ImageRecord) {
  return {
    Id: i.id,
    RepoTags: [...i.repoTags],
    RepoDigests: [],
    Parent: '',
    Comment: i.comment,
    Created: i.created,
    DockerVersion: '',
    Author: '',
    Config: imageConfig(i),
    Architecture: goArch(),
    Os: 'linux',
    Size: i.size,
    GraphDriver: { Data: null, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: [i.layer] },
    Metadata: { LastTagTime: i.created },
  };
}
