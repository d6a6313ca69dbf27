//! Videos as sets of frame hashes in one [`HammingIndex`], with the votes of a query's frames
//! counted per stored video.
//!
//! A frame's id in the underlying index is `video << FRAME_BITS | slot`, so the frame-to-video
//! map costs no memory and survives a snapshot: the stored frame count of each video is
//! recovered from the ids. Frames are deduplicated per video on the way in, as
//! python-threatexchange does, so the counts are those its match percentages use.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use pdq::Hash256;

use crate::index::{HammingIndex, IndexConfig, Update};
use crate::snapshot::SnapshotError;

/// Bits of a frame id that number the frame within its video.
pub const FRAME_BITS: u32 = 20;
/// Most distinct frames one video may have: four hours at 60 frames per second fit.
pub const MAX_FRAMES_PER_VIDEO: usize = 1 << FRAME_BITS;
/// Largest video id.
pub const MAX_VIDEO_ID: u64 = u64::MAX >> FRAME_BITS;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VideoIndexError {
    #[error("video id {0} is larger than {MAX_VIDEO_ID}")]
    IdTooLarge(u64),
    #[error(
        "video {video} has {frames} distinct frames; at most {MAX_FRAMES_PER_VIDEO} are indexed"
    )]
    TooManyFrames { video: u64, frames: usize },
}

/// How well a query video and one stored video match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoMatch {
    pub video: u64,
    /// Distinct query frames.
    pub query_frames: u32,
    /// Distinct query frames within the radius of some frame of this video.
    pub query_matched: u32,
    /// Distinct frames stored for this video.
    pub target_frames: u32,
    /// Stored frames of this video within the radius of some query frame.
    pub target_matched: u32,
}

impl VideoMatch {
    /// Share of the query's frames found in this video, in percent.
    pub fn query_pct(&self) -> f64 {
        percent(self.query_matched, self.query_frames)
    }

    /// Share of this video's frames found in the query, in percent.
    pub fn target_pct(&self) -> f64 {
        percent(self.target_matched, self.target_frames)
    }
}

fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        f64::from(part) * 100.0 / f64::from(whole)
    }
}

/// An index of videos, each a set of PDQ frame hashes. Cloning is not offered: share it behind
/// an `Arc`.
#[derive(Debug)]
pub struct VideoIndex {
    frames: HammingIndex,
    /// Distinct frames per video. Writers hold it for writing while they change `frames`, so a
    /// search (which holds it for reading) never sees a video half-inserted.
    videos: RwLock<HashMap<u64, u32>>,
}

impl Default for VideoIndex {
    fn default() -> Self {
        Self::new(IndexConfig::default())
    }
}

fn distinct(frames: &[Hash256]) -> Vec<Hash256> {
    let mut seen = HashSet::with_capacity(frames.len());
    frames
        .iter()
        .copied()
        .filter(|f| seen.insert(f.words()))
        .collect()
}

fn frame_updates(
    video: u64,
    frames: &[Hash256],
) -> Result<(Vec<(u64, Hash256)>, u32), VideoIndexError> {
    if video > MAX_VIDEO_ID {
        return Err(VideoIndexError::IdTooLarge(video));
    }
    let frames = distinct(frames);
    if frames.len() > MAX_FRAMES_PER_VIDEO {
        return Err(VideoIndexError::TooManyFrames {
            video,
            frames: frames.len(),
        });
    }
    let count = frames.len() as u32;
    let entries = frames
        .into_iter()
        .enumerate()
        .map(|(slot, code)| ((video << FRAME_BITS) | slot as u64, code))
        .collect();
    Ok((entries, count))
}

impl VideoIndex {
    pub fn new(config: IndexConfig) -> Self {
        VideoIndex {
            frames: HammingIndex::new(config),
            videos: RwLock::new(HashMap::new()),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<u64, u32>> {
        self.videos.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<u64, u32>> {
        self.videos.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Number of videos.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of distinct frames over all videos.
    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// Adds `video` with `frames`, replacing what it had. Returns its number of distinct frames.
    pub fn insert(&self, video: u64, frames: &[Hash256]) -> Result<usize, VideoIndexError> {
        let (entries, count) = frame_updates(video, frames)?;
        let mut videos = self.write();
        let old = videos.get(&video).copied().unwrap_or(0);
        let removals =
            (count..old).map(|slot| Update::Remove((video << FRAME_BITS) | u64::from(slot)));
        let inserts = entries
            .into_iter()
            .map(|(id, code)| Update::Insert(id, code));
        self.frames.apply(removals.chain(inserts));
        if count == 0 {
            videos.remove(&video);
        } else {
            videos.insert(video, count);
        }
        Ok(count as usize)
    }

    /// Removes `video`. Returns whether it was present.
    pub fn remove(&self, video: u64) -> bool {
        let mut videos = self.write();
        let Some(count) = videos.remove(&video) else {
            return false;
        };
        self.frames
            .apply((0..count).map(|slot| Update::Remove((video << FRAME_BITS) | u64::from(slot))));
        true
    }

    /// Replaces every video, building the frame index in one go (the way to bulk-load).
    pub fn replace_all(
        &self,
        videos: impl IntoIterator<Item = (u64, Vec<Hash256>)>,
    ) -> Result<(), VideoIndexError> {
        let mut entries = Vec::new();
        let mut counts = HashMap::new();
        for (video, frames) in videos {
            let (mut frame_entries, count) = frame_updates(video, &frames)?;
            // A repeated video keeps its last frames, as with `insert`.
            if let Some(old) = counts.insert(video, count) {
                let first = video << FRAME_BITS;
                entries.retain(|&(id, _): &(u64, Hash256)| {
                    !(first..first + u64::from(old)).contains(&id)
                });
            }
            entries.append(&mut frame_entries);
        }
        counts.retain(|_, &mut count| count > 0);
        let mut current = self.write();
        self.frames.replace_all(entries);
        *current = counts;
        Ok(())
    }

    /// Every stored video with at least one frame within `radius` of a query frame, with its
    /// vote counts, most query frames matched first (then by id). Repeated query frames count
    /// once.
    pub fn search(&self, query: &[Hash256], radius: u32) -> Vec<VideoMatch> {
        let query = distinct(query);
        let videos = self.read();
        let found = self.frames.search_batch_codes(&query, radius);
        // Stored frames near the query, grouped by video.
        let mut by_video: HashMap<u64, Vec<Hash256>> = HashMap::new();
        for (m, code) in found {
            by_video.entry(m.id >> FRAME_BITS).or_default().push(code);
        }
        let query_frames = query.len() as u32;
        let mut matches: Vec<VideoMatch> = by_video
            .into_iter()
            .map(|(video, stored)| {
                let query_matched = query
                    .iter()
                    .filter(|q| stored.iter().any(|s| s.distance(q) <= radius))
                    .count() as u32;
                VideoMatch {
                    video,
                    query_frames,
                    query_matched,
                    target_frames: videos.get(&video).copied().unwrap_or(stored.len() as u32),
                    target_matched: stored.len() as u32,
                }
            })
            .collect();
        matches.sort_unstable_by_key(|m| (std::cmp::Reverse(m.query_matched), m.video));
        matches
    }

    /// Writes the frame index to a snapshot file (see [`HammingIndex::save`]).
    pub fn save(&self, path: &Path) -> Result<(), SnapshotError> {
        let _consistent = self.read();
        self.frames.save(path)
    }

    /// Opens a snapshot written by [`VideoIndex::save`]; the per-video counts come from the ids.
    pub fn load(path: &Path, config: IndexConfig) -> Result<Self, SnapshotError> {
        let frames = HammingIndex::load(path, config)?;
        let mut videos: HashMap<u64, u32> = HashMap::new();
        for id in frames.ids() {
            *videos.entry(id >> FRAME_BITS).or_default() += 1;
        }
        Ok(VideoIndex {
            frames,
            videos: RwLock::new(videos),
        })
    }
}
